// Package assets owns bundling, minifying, fingerprinting and SRI of a
// site's front-end assets, and copying its static files.
//
// Scripts and stylesheets under assets/ are bundled by esbuild into
// content-hashed files under Options.PublicPath; every other file there
// (images, fonts...) is fingerprinted and copied as is; static/ is copied
// at its own URL paths. Everything stays in memory: callers write, serve
// or deploy the Result. Bad input comes back as a *diag.List holding every
// problem of the build, never just the first.
package assets

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/diag"
)

// DefaultPublicPath is the URL prefix of fingerprinted outputs when
// Options.PublicPath is empty.
const DefaultPublicPath = "/_assets"

// Options configures a build of a site's assets.
type Options struct {
	// Root is the site root, absolute; diagnostics carry paths relative to
	// it (slash-separated), and esbuild resolves packages from it.
	Root string
	// AssetsDir is the site's assets/ dir (relative paths are taken from
	// Root); a missing dir means no assets.
	AssetsDir string
	// StaticDir is static/, copied verbatim at the same URL paths and not
	// fingerprinted (relative paths are taken from Root); missing = none.
	StaticDir string
	// Entries are entry points relative to AssetsDir; nil means discovery:
	// every .js .mjs .ts .tsx .jsx .css file without a path segment
	// starting with "_" or "." (those are partials entries import).
	Entries []string
	// Target lists esbuild targets, e.g. "es2020", "chrome100",
	// "safari15.4"; nil means DefaultTarget.
	Target []string
	// Minify minifies whitespace, identifiers and syntax and drops legal
	// comments.
	Minify bool
	// Sourcemap writes external .map files next to bundles, linked from
	// them.
	Sourcemap bool
	// StableNames leaves the content hash out of entry bundles' and
	// other assets' names ("/_assets/css/main.css"), for the dev server:
	// pages then stay the same when only an asset changes, and the browser
	// can swap a stylesheet in place. Files keep Fingerprinted, which then
	// marks the files a production build would fingerprint.
	StableNames bool
	// PerEntry gives each entry point its own esbuild context, so that
	// Builder.BuildChanged bundles again only the entries that read a
	// changed file (the dev server). A one-off build is faster with one
	// context, which parses shared modules once.
	PerEntry bool
	// PublicPath is the URL prefix of fingerprinted outputs, starting with
	// "/"; "" means DefaultPublicPath.
	PublicPath string
}

// normalize returns o with defaults filled in and paths made absolute, so
// the rest of the package never has to think about either.
func (o Options) normalize() (Options, error) {
	if o.Root == "" {
		return o, &diag.Diagnostic{Msg: "assets: no site root given", Hint: "set Options.Root to the site's directory"}
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return o, err
	}
	o.Root = root
	for _, d := range []*string{&o.AssetsDir, &o.StaticDir} {
		if *d != "" && !filepath.IsAbs(*d) {
			*d = filepath.Join(root, *d)
		}
		if *d != "" {
			*d = filepath.Clean(*d)
		}
	}
	if o.PublicPath == "" {
		o.PublicPath = DefaultPublicPath
	}
	if !strings.HasPrefix(o.PublicPath, "/") || strings.HasPrefix(o.PublicPath, "//") {
		return o, &diag.Diagnostic{Msg: fmt.Sprintf("assets: public path %q is not a URL path", o.PublicPath),
			Hint: `use an absolute path such as "/_assets"; the CDN serves the whole site`}
	}
	o.PublicPath = strings.TrimRight(o.PublicPath, "/")
	if o.Target == nil {
		o.Target = DefaultTarget
	}
	o.Target = append([]string(nil), o.Target...)
	if o.Entries != nil {
		o.Entries = append([]string{}, o.Entries...)
	}
	return o, nil
}

// Build builds a site's assets once: NewBuilder, Build, Dispose. Use a
// Builder to build again faster.
func Build(ctx context.Context, opts Options) (*Result, error) {
	b, err := NewBuilder(opts)
	if err != nil {
		return nil, err
	}
	defer b.Dispose()
	return b.Build(ctx)
}
