package site

// This file holds an entry's table of contents: its headings, taken from
// the Markdown as it is parsed (the IDs are those the rendered headings
// carry), so a page can list them without reading the body.

import (
	"bytes"
	"io"
	"strconv"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Heading is one heading of an entry's body.
type Heading struct {
	Level int    // 1 for #, 2 for ##, ...
	ID    string // the heading's id attribute, for "#ID" links
	Text  string // the heading as plain text
}

// convert renders src with md, collecting its headings.
func convert(md goldmark.Markdown, src []byte, w io.Writer) ([]Heading, error) {
	doc := md.Parser().Parse(text.NewReader(src))
	var toc []Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		var id string
		if v, ok := h.AttributeString("id"); ok {
			if b, ok := v.([]byte); ok {
				id = string(b)
			}
		}
		toc = append(toc, Heading{Level: h.Level, ID: id, Text: plainText(h, src)})
		return ast.WalkSkipChildren, nil
	})
	if b, ok := w.(*bytes.Buffer); ok {
		w = bufWriter{b}
	}
	return toc, md.Renderer().Render(w, src, doc)
}

// bufWriter is a bytes.Buffer as goldmark's util.BufWriter: rendered into
// directly, goldmark needs no bufio.Writer of its own, which was 4 KB of
// garbage a conversion (400 MB in a 100,000-page build).
type bufWriter struct{ *bytes.Buffer }

func (b bufWriter) Available() int { return b.Cap() - b.Len() }
func (bufWriter) Buffered() int    { return 0 }
func (bufWriter) Flush() error     { return nil }

// plainText is the text of n's inline content, without the anchor link
// headingAnchors appends (a String node written as is).
func plainText(n ast.Node, src []byte) string {
	var b bytes.Buffer
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			if !c.IsCode() {
				b.Write(c.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return string(bytes.TrimSpace(b.Bytes()))
}

// tocVersion is the version of a table of contents.
func tocVersion(toc []Heading) []string {
	parts := make([]string, 0, 3*len(toc))
	for _, h := range toc {
		parts = append(parts, strconv.Itoa(h.Level), h.ID, h.Text)
	}
	return parts
}
