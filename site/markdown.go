package site

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// newMarkdown returns the Markdown converter a site's config asks for:
// GFM, footnotes, heading IDs with anchor links, and syntax-highlighted
// fenced code. The converter is safe for concurrent use.
func newMarkdown(cfg MarkdownConfig) goldmark.Markdown {
	exts := []goldmark.Extender{gfm{}, extension.Footnote}
	if cfg.Typographer {
		exts = append(exts, extension.Typographer)
	}
	opts := []goldmark.Option{
		goldmark.WithExtensions(exts...),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithAttribute(),
			parser.WithASTTransformers(util.Prioritized(headingAnchors{}, 500)),
		),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(newCodeRenderer(cfg.HighlightStyle), 200))),
	}
	if cfg.Unsafe {
		opts = append(opts, goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	}
	return goldmark.New(opts...)
}

// headingAnchors appends a "#" link to every heading with an ID, so readers
// can copy a link to a section. It is raw HTML because goldmark's link
// renderer drops aria-hidden, and screen readers should not read "#".
type headingAnchors struct{}

// Transform implements parser.ASTTransformer.
func (headingAnchors) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		if id, ok := h.AttributeString("id"); ok {
			idb, _ := id.([]byte)
			a := ast.NewString([]byte(` <a class="anchor" href="#` + html.EscapeString(string(idb)) + `" aria-hidden="true">#</a>`))
			a.SetCode(true) // written as is
			h.AppendChild(h, a)
		}
		return ast.WalkSkipChildren, nil
	})
}

// moreMarker splits a summary from the rest of a post, as in Hugo.
var moreMarker = []byte("<!--more-->")

var (
	firstParagraphRE = regexp.MustCompile(`(?s)<p>(.*?)</p>`)
	// Footnote references and heading anchors are navigation, not prose.
	summaryNoiseRE = regexp.MustCompile(`(?s)<sup[^>]*>.*?</sup>|<a class="anchor"[^>]*>#</a>`)
	blockEndRE     = regexp.MustCompile(`(?i)</(p|li|h[1-6]|blockquote|div|td|th|dd|dt)>|<br\s*/?>`)
	tagRE          = regexp.MustCompile(`<[^>]*>`)
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
	src = summaryNoiseRE.ReplaceAll(src, nil)
	// Block boundaries become spaces; inline tags vanish ("<em>x</em>." is "x.").
	src = blockEndRE.ReplaceAll(src, []byte(" "))
	plain := html.UnescapeString(tagRE.ReplaceAllString(string(src), ""))
	words := strings.Fields(plain)
	if len(words) > maxWords {
		return strings.Join(words[:maxWords], " ") + "…"
	}
	return strings.Join(words, " ")
}
