package site

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns the Markdown converter a site's config asks for:
// GFM, footnotes, heading IDs with anchor links, and chroma highlighting
// with inline styles (so no extra stylesheet request is needed).
func newMarkdown(cfg MarkdownConfig) goldmark.Markdown {
	exts := []goldmark.Extender{
		extension.GFM,
		extension.Footnote,
		highlighting.NewHighlighting(
			highlighting.WithStyle(cfg.HighlightStyle),
			highlighting.WithFormatOptions(chromahtml.TabWidth(4)),
		),
	}
	if cfg.Typographer {
		exts = append(exts, extension.Typographer)
	}
	rendererOpts := []goldmark.Option{}
	if cfg.Unsafe {
		rendererOpts = append(rendererOpts, goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	}
	return goldmark.New(append(rendererOpts,
		goldmark.WithExtensions(exts...),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithAttribute(),
			parser.WithASTTransformers(util.Prioritized(headingAnchors{}, 500)),
		),
	)...)
}

// headingAnchors appends a "#" link to every heading with an ID, so readers
// can copy a link to a section.
type headingAnchors struct{}

// Transform implements parser.ASTTransformer.
func (headingAnchors) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		id, ok := h.AttributeString("id")
		if !ok {
			return ast.WalkSkipChildren, nil
		}
		idb, _ := id.([]byte)
		link := ast.NewLink()
		link.Destination = append([]byte("#"), idb...)
		link.SetAttributeString("class", []byte("anchor"))
		link.SetAttributeString("aria-hidden", []byte("true"))
		link.AppendChild(link, ast.NewString([]byte("#")))
		h.AppendChild(h, ast.NewString([]byte(" ")))
		h.AppendChild(h, link)
		return ast.WalkSkipChildren, nil
	})
}

// moreMarker splits a summary from the rest of a post, as in Hugo.
var moreMarker = []byte("<!--more-->")

var (
	firstParagraphRE = regexp.MustCompile(`(?s)<p>(.*?)</p>`)
	tagRE            = regexp.MustCompile(`<[^>]*>`)
)

// summarize derives a plain-text summary from rendered HTML: the part
// before <!--more--> if present, else the first paragraph, cut at maxWords.
func summarize(rendered []byte, maxWords int) string {
	src := rendered
	if i := bytes.Index(src, moreMarker); i >= 0 {
		src = src[:i]
	} else if m := firstParagraphRE.FindSubmatch(src); m != nil {
		src = m[1]
	}
	plain := html.UnescapeString(tagRE.ReplaceAllString(string(src), " "))
	words := strings.Fields(plain)
	if len(words) > maxWords {
		return strings.Join(words[:maxWords], " ") + "…"
	}
	return strings.Join(words, " ")
}
