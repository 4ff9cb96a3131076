package site

// This file holds an entry's body: its Markdown, converted on first use
// into the values pages read of it (the HTML, the headings, the derived
// summary, the word count). The small derived values are kept for the
// life of the build. The HTML is held only weakly: it is usually read
// once, by the entry's own page, and at 100,000 entries it held more of a
// build's memory than anything else; a page that asks for it after it was
// collected converts the body again. A build that no later build reuses
// (a build to disk, see engine.Build.Streaming) also lets go of the
// Markdown once converted, and reads the file again if it is needed,
// refusing a file that changed since it was loaded: one build never mixes
// two versions of a file.

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"weak"

	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/rawfile"
)

// entryBody is the body part of an entry.
type entryBody struct {
	b       *engine.Build // the build that loaded the entry: its Markdown and root
	bodyVer uint64        // hash of the body's source
	body    []byte        // nil once converted, in a streaming build

	once     sync.Once // converts the body for the derived values
	toc      []Heading
	derived  string // the summary derived from the body
	words    int
	renderEr error

	htmlMu sync.Mutex
	html   weak.Pointer[[]byte]
}

// derive converts the body once for the values derived from it; entries
// are shared by every page that shows them, so concurrent pages wait for
// one conversion.
func (e *entry[T]) derive() error {
	e.once.Do(func() {
		h, toc, err := e.convert(e.body)
		if err != nil {
			e.renderEr = err
			return
		}
		e.toc, e.words = toc, countWords(h)
		if e.summary == "" {
			src := h
			if i := bytes.Index(e.body, moreMarker); i >= 0 {
				var pre bytes.Buffer
				if perBuild(e.b).md.Convert(e.body[:i], bufWriter{&pre}) == nil {
					src = append(pre.Bytes(), moreMarker...)
				}
			}
			e.derived = summarize(src, 70)
			e.vers.summary = engine.Hash(e.derived)
		}
		e.keepHTML(h)
		if e.b.Streaming {
			e.body = nil
		}
	})
	return e.renderEr
}

// render is the body as HTML.
func (e *entry[T]) render() ([]byte, error) {
	if err := e.derive(); err != nil {
		return nil, err
	}
	e.htmlMu.Lock()
	p := e.html.Value()
	e.htmlMu.Unlock()
	if p != nil {
		return *p, nil
	}
	src, err := e.source()
	if err != nil {
		return nil, err
	}
	h, _, err := e.convert(src)
	if err != nil {
		return nil, err
	}
	e.keepHTML(h)
	return h, nil
}

// keepHTML holds h weakly: until no page holds it and the collector runs.
func (e *entry[T]) keepHTML(h []byte) {
	p := &h
	e.htmlMu.Lock()
	e.html = weak.Make(p)
	e.htmlMu.Unlock()
}

// convert renders src.
func (e *entry[T]) convert(src []byte) ([]byte, []Heading, error) {
	var buf bytes.Buffer
	buf.Grow(len(src) * 2)
	toc, err := convert(perBuild(e.b).md, src, &buf)
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), toc, nil
}

// source is the body's Markdown: kept, or read again from the file.
func (e *entry[T]) source() ([]byte, error) {
	if e.body != nil {
		return e.body, nil
	}
	src, err := rawfile.ReadFile(filepath.Join(e.b.Root, filepath.FromSlash(e.file)))
	if err != nil {
		return nil, fmt.Errorf("read %s again: %w", e.file, err)
	}
	fm, err := splitFrontMatter(e.file, src)
	if err != nil {
		return nil, err
	}
	if engine.HashBytes(fm.body) != e.bodyVer {
		return nil, fmt.Errorf("%s changed while the site was building: build again", e.file)
	}
	return fm.body, nil
}
