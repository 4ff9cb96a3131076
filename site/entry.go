package site

// This file holds entries: one Markdown file of a collection, loaded once
// and shared by every page that shows it, and read by each page through
// a view (Entry) that records which of its values the page read. A list
// that shows an entry's title depends on the title, not on the body: an
// edit to the body renders again only the pages that show the body (or
// a value derived from it, such as the summary, that changed).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/engine"
)

// The values of an entry a page can read, each recorded on its own (see
// engine.Fact). "id" records only that the entry exists.
const (
	fieldID          = "id"
	fieldTitle       = "title"
	fieldDate        = "date"
	fieldLastmod     = "lastmod"
	fieldDraft       = "draft"
	fieldTags        = "tags"
	fieldWeight      = "weight"
	fieldSlug        = "slug"
	fieldURL         = "url"
	fieldMeta        = "meta"
	fieldSummary     = "summary"
	fieldBody        = "body"
	fieldWordCount   = "wordcount"
	fieldReadingTime = "readingtime"
	fieldTOC         = "toc"
)

// entry is one Markdown file of a collection as loaded: its common front
// matter, its typed front matter, and its body, rendered on first use.
type entry[T any] struct {
	coll    string // the collection's name, e.g. "posts"
	id      string // path inside the collection without extension
	slug    string
	file    string // source path relative to the site root
	title   string
	date    time.Time
	lastmod time.Time
	draft   bool
	tags    []string
	weight  int
	meta    T

	url     string
	tagName string    // the entry's tag, e:COLLECTION/ID
	summary string    // front matter "summary"; derived from the body when empty
	version string    // content hash of the source file: the tag's version
	bare    *Entry[T] // the entry read by no page (see bareEntries)
	vers    fieldVers // the versions lists read most, worked out once
	entryBody

	metaOnce sync.Once
	metaVer  uint64

	fmFormat   byte   // '-' YAML, '+' TOML, 0 none
	fmRaw      []byte // the front matter's text, for Param
	paramsOnce sync.Once
	params     map[string]any
}

// Entry is one Markdown file of a collection as a page reads it: every
// value read through its methods is recorded as a dependency of that page,
// value by value, so the page is rendered again only when a value it read
// changes. ID, File and Collection name the entry and record nothing: how
// the page came to the entry (a collection's membership, a term) is
// recorded already.
//
// Each read of a collection hands out views of its own: compare two
// entries by ID, not by pointer.
type Entry[T any] struct {
	d   *entry[T]
	rec *engine.Recorder // nil: nothing is recorded
}

// view is e as read by the page recording in rec.
func (e *entry[T]) view(rec *engine.Recorder) *Entry[T] {
	if rec == nil {
		return e.bare
	}
	return &Entry[T]{d: e, rec: rec}
}

// views is list as read by the page recording in rec: one allocation
// for the views, one for the slice.
func views[T any](list []*entry[T], rec *engine.Recorder) []*Entry[T] {
	vs := make([]Entry[T], len(list))
	out := make([]*Entry[T], len(list))
	for i, e := range list {
		vs[i] = Entry[T]{d: e, rec: rec}
		out[i] = &vs[i]
	}
	return out
}

// read records field, at the version fieldVersion gives it, if the view
// records: the version a page records and the one a later build checks
// it against come from the same place.
func (e *Entry[T]) read(field string) {
	if e.rec != nil {
		v, _ := e.d.fieldVersion(field)
		e.rec.ReadFact(e.d.tagName, field, v)
	}
}

// Collection is the collection's name, e.g. "posts".
func (e *Entry[T]) Collection() string { return e.d.coll }

// ID is the path inside the collection without extension, e.g. "2024/recap".
func (e *Entry[T]) ID() string { return e.d.id }

// File is the source path relative to the site root.
func (e *Entry[T]) File() string { return e.d.file }

// Title is front matter "title".
func (e *Entry[T]) Title() string {
	e.read(fieldTitle)
	return e.d.title
}

// Date is front matter "date"; zero if absent.
func (e *Entry[T]) Date() time.Time {
	e.read(fieldDate)
	return e.d.date
}

// Lastmod is front matter "lastmod", else Date.
func (e *Entry[T]) Lastmod() time.Time {
	e.read(fieldLastmod)
	return e.d.lastmod
}

// Draft is front matter "draft".
func (e *Entry[T]) Draft() bool {
	e.read(fieldDraft)
	return e.d.draft
}

// Tags is front matter "tags". The slice is shared: do not modify it.
func (e *Entry[T]) Tags() []string {
	e.read(fieldTags)
	return e.d.tags
}

// Weight is front matter "weight"; lower sorts first among equal dates.
func (e *Entry[T]) Weight() int {
	e.read(fieldWeight)
	return e.d.weight
}

// Slug is front matter "slug", else the file's base name.
func (e *Entry[T]) Slug() string {
	e.read(fieldSlug)
	return e.d.slug
}

// Meta is the whole front matter decoded into the collection's type. It
// is recorded as one value: a change to a field the type does not have
// changes nothing.
func (e *Entry[T]) Meta() T {
	e.read(fieldMeta)
	return e.d.meta
}

// URL is the entry's page URL when the collection has one page per entry
// (see Each), else "".
func (e *Entry[T]) URL() string {
	e.read(fieldURL)
	return e.d.url
}

// DateString formats Date as 2006-01-02, the form most pages show.
func (e *Entry[T]) DateString() string {
	if e.Date().IsZero() {
		return ""
	}
	return e.d.date.Format("2006-01-02")
}

// Summary is the front matter "summary", else the text before <!--more-->,
// else the first paragraph, at most 70 words. A page that shows it is
// rendered again only when the summary itself changes.
func (e *Entry[T]) Summary() string {
	s := e.d.summaryText()
	e.read(fieldSummary)
	return s
}

// WordCount is the number of words of the rendered body's text.
func (e *Entry[T]) WordCount() int {
	n := e.d.wordCount()
	e.read(fieldWordCount)
	return n
}

// ReadingTime is the minutes an adult takes to read the body, at 213
// words a minute as Hugo counts (at least 1 for a body with words).
func (e *Entry[T]) ReadingTime() int {
	m := readingMinutes(e.d.wordCount())
	e.read(fieldReadingTime)
	return m
}

// wordCount is the number of the rendered body's words.
func (e *entry[T]) wordCount() int {
	_ = e.derive()
	return e.words
}

func readingMinutes(words int) int { return (words + 212) / 213 }

// TOC is the body's headings in order, for a table of contents. A page
// that shows it is rendered again only when a heading changes.
func (e *Entry[T]) TOC() []Heading {
	_ = e.d.derive()
	e.read(fieldTOC)
	return e.d.toc
}

// HTML returns the rendered Markdown body, recording it as a dependency
// of the page (or function) rendering under ctx.
func (e *Entry[T]) HTML(ctx context.Context) (string, error) {
	e.readBody(ctx)
	h, err := e.d.render()
	return string(h), err
}

// Content is the rendered body as a component, for templ's @ syntax; it
// records the body as a dependency of the page it renders in.
func (e *Entry[T]) Content() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		e.readBody(ctx)
		h, err := e.d.render()
		if err != nil {
			return err
		}
		_, err = w.Write(h)
		return err
	})
}

// readBody records the body as read by the render under ctx (or, outside
// one, by the view's page).
func (e *Entry[T]) readBody(ctx context.Context) {
	rec := e.rec
	if c := FromContext(ctx); c != nil {
		rec = c.rec
	}
	if rec != nil {
		rec.ReadFact(e.d.tagName, fieldBody, e.d.bodyVer)
	}
}

// summaryText is the entry's summary (see Entry.Summary).
func (e *entry[T]) summaryText() string {
	if e.summary != "" {
		return e.summary
	}
	_ = e.derive()
	return e.derived
}

// metaVersion hashes the decoded front matter, once: JSON sorts map
// keys, so equal values hash equal.
func (e *entry[T]) metaVersion() uint64 {
	e.metaOnce.Do(func() {
		data, err := json.Marshal(e.meta)
		if err != nil {
			data = fmt.Appendf(nil, "%#v", e.meta)
		}
		e.metaVer = engine.HashBytes(data)
	})
	return e.metaVer
}

// fieldVersion is the version of field of e now, for a build asking
// whether a page's fact still holds; ok is false for a field entries do
// not have.
func (e *entry[T]) fieldVersion(field string) (uint64, bool) {
	if key, ok := strings.CutPrefix(field, paramPrefix); ok {
		return paramVersion(e.param(key)), true
	}
	switch field {
	case fieldID:
		return e.vers.id, true
	case fieldTitle:
		return e.vers.title, true
	case fieldDate:
		return e.vers.date, true
	case fieldLastmod:
		return hashTime(e.lastmod), true
	case fieldDraft:
		return engine.Hash(strconv.FormatBool(e.draft)), true
	case fieldTags:
		return engine.Hash(e.tags...), true
	case fieldWeight:
		return engine.Hash(strconv.Itoa(e.weight)), true
	case fieldSlug:
		return engine.Hash(e.slug), true
	case fieldURL:
		return e.vers.url, true
	case fieldMeta:
		return e.metaVersion(), true
	case fieldSummary:
		if e.summary == "" {
			_ = e.derive()
		}
		return e.vers.summary, true
	case fieldBody:
		return e.bodyVer, true
	case fieldTOC:
		_ = e.derive()
		return engine.Hash(tocVersion(e.toc)...), true
	case fieldWordCount:
		return engine.Hash(strconv.Itoa(e.wordCount())), true
	case fieldReadingTime:
		return engine.Hash(strconv.Itoa(readingMinutes(e.wordCount()))), true
	}
	return 0, false
}

func hashTime(t time.Time) uint64 { return engine.Hash(t.Format(time.RFC3339Nano)) }

// fieldVers are the versions of the fields every list reads, worked out
// once per entry rather than at every read: a 100,000-page build read
// titles and dates millions of times.
type fieldVers struct {
	id, title, date, url uint64
	summary              uint64 // of summaryText; a derived one's is set once derived
}

// initVersions works out e's field versions once its fields are set.
func (e *entry[T]) initVersions() {
	e.vers = fieldVers{id: engine.Hash(e.id), title: engine.Hash(e.title), date: hashTime(e.date), url: engine.Hash(e.url)}
	if e.summary != "" {
		e.vers.summary = engine.Hash(e.summary)
	}
}

// countWords counts the words of rendered HTML's text: runs of
// characters other than white space, tags left out ("<em>x</em>." is one
// word; goldmark ends every block with a newline).
func countWords(html []byte) int {
	n, inTag, inWord := 0, false, false
	for _, c := range html {
		switch {
		case c == '<':
			inTag = true
		case inTag:
			inTag = c != '>'
		case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f':
			inWord = false
		case !inWord:
			inWord = true
			n++
		}
	}
	return n
}

// compareEntries orders newest first, then by weight, title and ID, so
// every order is total and builds are deterministic.
func compareEntries[T any](a, b *Entry[T]) int {
	x, y := a.d, b.d
	if c := y.date.Compare(x.date); c != 0 {
		return c
	}
	if x.weight != y.weight {
		if x.weight < y.weight {
			return -1
		}
		return 1
	}
	if c := strings.Compare(x.title, y.title); c != 0 {
		return c
	}
	return strings.Compare(x.id, y.id)
}
