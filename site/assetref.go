package site

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
)

// AssetRef is a built asset as a page refers to it.
type AssetRef struct {
	URL       string // fingerprinted URL, e.g. "/_assets/css/main-5KQ2.css"
	Integrity string // SRI hash, "sha384-..."
}

// Asset resolves an asset by its path under assets/ ("css/main.css") to
// its fingerprinted URL and SRI hash, recording it as a dependency of the
// page being rendered. A missing asset fails the page with the caller's
// file and line.
func Asset(ctx context.Context, logical string) AssetRef {
	c := FromContext(ctx)
	if c == nil {
		return AssetRef{}
	}
	b := c.rec.Build
	f, ok := b.Assets.Find(logical)
	if !ok {
		file, line := templSource(b.Root, strconv.Quote(logical))(c.callerSite())
		c.rec.Fail(&diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("asset %q not found", logical),
			Hint: "add assets/" + strings.TrimPrefix(logical, "/") + ", or fix the path (it is relative to assets/)"})
		return AssetRef{}
	}
	c.rec.Read(engine.AssetTag(f), b.Assets.Version(f))
	return AssetRef{URL: f.Path, Integrity: b.Assets.Integrity(f)}
}

// Stylesheet renders <link rel="stylesheet"> for the asset, with SRI.
func Stylesheet(logical string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		a := Asset(ctx, logical)
		_, err := fmt.Fprintf(w, `<link rel="stylesheet" href="%s"%s>`, templ.EscapeString(a.URL), a.sriAttrs())
		return err
	})
}

// sriAttrs are the integrity and crossorigin attributes for a, if it has
// an SRI value.
func (a AssetRef) sriAttrs() string {
	if a.Integrity == "" {
		return ""
	}
	return ` integrity="` + a.Integrity + `" crossorigin="anonymous"`
}

// Script renders a <script type="module"> for the asset, with SRI. Module
// scripts never block parsing (they run deferred); defer is written too for
// readers and tools that look for it.
func Script(logical string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		a := Asset(ctx, logical)
		_, err := fmt.Fprintf(w, `<script type="module" src="%s"%s defer></script>`, templ.EscapeString(a.URL), a.sriAttrs())
		return err
	})
}

// templSource maps a position in generated X_templ.go code to the line of
// X.templ that mentions needle, since the generated file means little to
// the component's author. Other positions pass through.
func templSource(root, needle string) func(file string, line int) (string, int) {
	return func(file string, line int) (string, int) {
		src, ok := strings.CutSuffix(file, "_templ.go")
		if !ok {
			return file, line
		}
		data, err := os.ReadFile(inDir(root, src+".templ"))
		if err != nil {
			return file, line
		}
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, needle) {
				return src + ".templ", i + 1
			}
		}
		return file, line
	}
}
