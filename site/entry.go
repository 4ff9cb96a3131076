package site

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/yuin/goldmark"
)

// Entry is one Markdown file of a collection: its common front matter, its
// typed front matter Meta, and its body, rendered on first use.
type Entry[T any] struct {
	Collection string    // the collection's name, e.g. "posts"
	ID         string    // path inside the collection without extension, e.g. "2024/recap"
	Slug       string    // front matter "slug", else the file's base name
	File       string    // source path relative to the site root
	Title      string    // front matter "title"
	Date       time.Time // front matter "date"; zero if absent
	Lastmod    time.Time // front matter "lastmod", else Date
	Draft      bool      // front matter "draft"
	Tags       []string  // front matter "tags"
	Weight     int       // front matter "weight"; lower sorts first among equal dates
	Meta       T         // the whole front matter decoded into the collection's type

	url      string
	tagName  string // see tag
	cardName string // see cardTag
	summary  string // front matter "summary"; derived from the body when empty
	version  string // content hash of the source file: the entry's dependency version
	// cardVersion is the hash of what lists show of the entry: its front
	// matter and, when the summary comes from the body, the body up to
	// <!--more--> (or the whole body, for a first-paragraph summary).
	cardVersion string
	body        []byte
	md          goldmark.Markdown
	once        sync.Once
	html        []byte
	derived     string
	renderEr    error
}

// URL is the entry's page URL when the collection has one page per entry
// (see Each), else "".
func (e *Entry[T]) URL() string { return e.url }

// render converts the body once; entries are shared by every page that
// shows them, so concurrent pages wait for one conversion.
func (e *Entry[T]) render() ([]byte, error) {
	e.once.Do(func() {
		var buf bytes.Buffer
		buf.Grow(len(e.body) * 2)
		e.renderEr = e.md.Convert(e.body, &buf)
		e.html = buf.Bytes()
		if e.summary == "" {
			src := e.html
			if i := bytes.Index(e.body, moreMarker); i >= 0 {
				var pre bytes.Buffer
				if e.md.Convert(e.body[:i], &pre) == nil {
					src = append(pre.Bytes(), moreMarker...)
				}
			}
			e.derived = summarize(src, 70)
		}
	})
	return e.html, e.renderEr
}

// HTML returns the rendered Markdown body, recording the whole entry as
// a dependency of the page (or function) rendering under ctx.
func (e *Entry[T]) HTML(ctx context.Context) (string, error) {
	e.readBody(ctx)
	h, err := e.render()
	return string(h), err
}

// Content is the rendered body as a component, for templ's @ syntax; it
// records the whole entry as a dependency of the page it renders in.
func (e *Entry[T]) Content() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		e.readBody(ctx)
		h, err := e.render()
		if err != nil {
			return err
		}
		_, err = w.Write(h)
		return err
	})
}

// Summary is the front matter "summary", else the text before <!--more-->,
// else the first paragraph, at most 70 words.
func (e *Entry[T]) Summary() string {
	if e.summary != "" {
		return e.summary
	}
	_, _ = e.render()
	return e.derived
}

// DateString formats Date as 2006-01-02, the form most pages show.
func (e *Entry[T]) DateString() string {
	if e.Date.IsZero() {
		return ""
	}
	return e.Date.Format("2006-01-02")
}

// tag is the cache tag of the whole entry, body included: the pages that
// show it carry it. It is made once, when the entry is loaded: every page
// that lists the entry asks for it.
func (e *Entry[T]) tag() string { return e.tagName }

// cardTag is the cache tag of what a list shows of the entry (its front
// matter and summary): pages that list the entry carry it instead of the
// whole entry's, so an edit to the body purges and rebuilds the entry's
// own page, not every list it is in.
func (e *Entry[T]) cardTag() string { return e.cardName }

// readBody records the whole entry as a dependency of the render under
// ctx, if any: its body is being shown.
func (e *Entry[T]) readBody(ctx context.Context) {
	if c := FromContext(ctx); c != nil {
		c.rec.Read(e.tagName, e.version)
	}
}

// compareEntries orders newest first, then by weight, title and ID, so
// every order is total and builds are deterministic.
func compareEntries[T any](a, b *Entry[T]) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	if a.Weight != b.Weight {
		if a.Weight < b.Weight {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
