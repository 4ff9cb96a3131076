package site

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
)

// AssetRef is a built asset as a page refers to it.
type AssetRef struct {
	URL       string // fingerprinted URL, e.g. "/_assets/css/main-5KQ2.css"
	Integrity string // SRI hash, "sha384-..."
}

// assetLookup resolves a logical asset path ("css/main.css") for a build.
type assetLookup struct {
	res *assets.Result
	// stable is set for the dev server's builds, whose asset URLs carry
	// no hash (assets.Options.StableNames): pages then neither depend on
	// an asset's bytes nor carry SRI, which would go stale as the file
	// changes under the same URL.
	stable bool
}

// version is what a page that references f depends on: the URL it
// writes, and in a production build the bytes that URL stands for.
func (a assetLookup) version(f *assets.File) string {
	if a.stable {
		return f.Path
	}
	return f.Integrity
}

// integrity is the SRI value a page writes for f ("" for none).
func (a assetLookup) integrity(f *assets.File) string {
	if a.stable {
		return ""
	}
	return f.Integrity
}

func (a assetLookup) find(logical string) (*assets.File, bool) {
	if a.res == nil {
		return nil, false
	}
	return a.res.Lookup(strings.TrimPrefix(logical, "/"))
}

// servedAt returns the output served at URL path p (a static file's
// path is where it is served).
func (a assetLookup) servedAt(p string) (*assets.File, bool) {
	if a.res == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(a.res.Files, p, func(f *assets.File, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return nil, false
	}
	return a.res.Files[i], true
}

// sourceRef maps a reference written in HTML as the source path, such as
// "/assets/css/main.css", to the asset built from it.
func (a assetLookup) sourceRef(ref string) (*assets.File, bool) {
	logical, ok := strings.CutPrefix(ref, "/assets/")
	if !ok {
		return nil, false
	}
	return a.find(logical)
}

// assetTag is the tag of a built file, from its source path as the build
// knows it (so "./css/main.css" and "css/main.css" are one tag): "a:" for
// files from assets/, "s:" for files from static/.
func assetTag(f *assets.File) string {
	if f.Fingerprinted {
		return makeTag("a", f.Source)
	}
	return makeTag("s", f.Source)
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
	f, ok := c.b.assets.find(logical)
	if !ok {
		file, line := templSource(c.b.root, strconv.Quote(logical))(c.callerSite())
		c.fail(&diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("asset %q not found", logical),
			Hint: "add assets/" + strings.TrimPrefix(logical, "/") + ", or fix the path (it is relative to assets/)"})
		return AssetRef{}
	}
	c.deps[assetTag(f)] = c.b.assets.version(f)
	return AssetRef{URL: f.Path, Integrity: c.b.assets.integrity(f)}
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
