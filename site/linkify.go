package site

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// gfm is GitHub Flavored Markdown with a cheaper autolinker. goldmark's
// linkify parser is asked at every space of every paragraph whether a URL
// or e-mail address starts there; on prose without any that was a third
// of converting a post. guardedLinkify answers "no" at once for documents
// that contain none of the markers a bare link needs, and defers to
// goldmark's parser otherwise, so what is linked is unchanged.
type gfm struct{}

// Extend implements goldmark.Extender.
func (gfm) Extend(m goldmark.Markdown) {
	extension.Table.Extend(m)
	extension.Strikethrough.Extend(m)
	extension.TaskList.Extend(m)
	m.Parser().AddOptions(parser.WithInlineParsers(
		util.Prioritized(&guardedLinkify{inner: extension.NewLinkifyParser()}, 999),
	))
}

type guardedLinkify struct{ inner parser.InlineParser }

var linkifyKey = parser.NewContextKey()

// linkMarkers are what every autolink contains: a scheme, "www." or the @
// of an e-mail address.
var linkMarkers = [][]byte{[]byte("http:"), []byte("https:"), []byte("ftp:"), []byte("www."), []byte("@")}

// Trigger implements parser.InlineParser.
func (g *guardedLinkify) Trigger() []byte { return g.inner.Trigger() }

// Parse implements parser.InlineParser.
func (g *guardedLinkify) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	may, ok := pc.Get(linkifyKey).(bool)
	if !ok {
		src := block.Source()
		for _, m := range linkMarkers {
			if bytes.Contains(src, m) {
				may = true
				break
			}
		}
		pc.Set(linkifyKey, may)
	}
	if !may {
		return nil
	}
	return g.inner.Parse(parent, block, pc)
}
