package render

import (
	"regexp"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/html"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/minify/v2/json"
	"github.com/tdewolff/minify/v2/svg"
)

// minifier minifies pages: Verge's own one-pass HTML minifier, with a
// configured tdewolff minifier for inline scripts and styles (and as the
// reference the tests compare against). Configuration (Add*) is not safe
// for concurrent use, so it happens once here; minifying is.
type minifier struct{ m *minify.M }

func newMinifier() *minifier {
	m := minify.New()
	// Document and end tags stay: without them <body> can vanish and the
	// dev server's script injection has nowhere to go.
	m.Add("text/html", &html.Minifier{KeepDocumentTags: true, KeepEndTags: true, KeepDefaultAttrVals: true})
	m.AddFunc("text/css", css.Minify)
	m.Add("image/svg+xml", &svg.Minifier{KeepNamespaces: []string{"", "x-bind"}})
	m.AddFuncRegexp(regexp.MustCompile(`^(application|text)/(x-)?(java|ecma)script$`), js.Minify)
	m.AddFunc("module", js.Minify)
	m.AddFunc("importmap", json.Minify)
	m.AddFuncRegexp(regexp.MustCompile(`[/+]json$`), json.Minify)
	return &minifier{m: m}
}
