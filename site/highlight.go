package site

import (
	"bytes"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// codeRenderer highlights fenced code blocks with chroma, using inline
// styles so no extra stylesheet is needed. One formatter serves every
// block: chroma caches the compiled style per formatter, and a formatter
// per block (as goldmark-highlighting makes) recompiles it every time,
// which was a tenth of a large site's build.
//
// Highlighted blocks are memoised by language and code: docs and blogs
// repeat snippets (install commands, config excerpts), and chroma's
// backtracking regexps make each one cost tens of microseconds.
type codeRenderer struct {
	style     *chroma.Style
	formatter *chromahtml.Formatter
	memo      sync.Map // codeKey -> []byte
}

type codeKey struct{ lang, code string }

func newCodeRenderer(style string) *codeRenderer {
	s := styles.Get(style)
	if s == nil {
		s = styles.Fallback
	}
	return &codeRenderer{style: s, formatter: chromahtml.New(chromahtml.TabWidth(4))}
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.render)
}

func (r *codeRenderer) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code []byte
	for i := 0; i < n.Lines().Len(); i++ {
		line := n.Lines().At(i)
		code = append(code, line.Value(source)...)
	}
	lang := n.Language(source)
	key := codeKey{string(lang), string(code)}
	if out, ok := r.memo.Load(key); ok {
		_, _ = w.Write(out.([]byte))
		return ast.WalkContinue, nil
	}
	if out, ok := r.highlight(key); ok {
		r.memo.Store(key, out)
		_, _ = w.Write(out)
		return ast.WalkContinue, nil
	}
	// No lexer for the language (or none given): plain, escaped code.
	_, _ = w.WriteString("<pre><code")
	if lang != nil {
		_, _ = w.WriteString(` class="language-`)
		_, _ = w.Write(util.EscapeHTML(lang))
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	_, _ = w.Write(util.EscapeHTML(code))
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkContinue, nil
}

// highlight formats code with the lexer for its language; false when
// there is no lexer for it (or none was named).
func (r *codeRenderer) highlight(k codeKey) ([]byte, bool) {
	if k.lang == "" {
		return nil, false
	}
	lexer := lexers.Get(k.lang)
	if lexer == nil {
		return nil, false
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, k.code)
	if err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	if err := r.formatter.Format(&buf, r.style, it); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}
