package assets

import (
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"path"
	"strings"

	"github.com/vergehq/verge/internal/diag"
)

// File is one file of the build output, held in memory.
type File struct {
	// Path is the URL path the file is served at, e.g.
	// "/_assets/css/main-HASH.css" or "/favicon.ico".
	Path string
	// Data is the file's content. Callers must not modify it: the same
	// slice may back the integrity hash and a later Lookup.
	Data []byte
	// Source is the logical source path the file was made from, relative to
	// AssetsDir ("css/main.css", "img/logo.png") or, for static files, to
	// StaticDir. It is "" for esbuild's side outputs (chunks, media that no
	// site file maps to one to one, source maps, CSS bundles of JS entries).
	Source string
	// Integrity is the Subresource Integrity value, "sha384-" + base64.
	Integrity string
	// Fingerprinted reports that Path carries a hash of Data, so the file
	// may be cached forever. Source maps are not: their name carries the
	// hash of the bundle they describe, not their own.
	Fingerprinted bool
	// ContentType is the Content-Type to serve Data with.
	ContentType string
}

// Result is the outcome of a build: every output file and the indexes
// callers need to reference them.
type Result struct {
	// Files is every output, sorted by Path.
	Files []*File
	// Warnings are esbuild's warnings that do not stop the build (a CSS
	// property esbuild does not know, a suspicious JS comparison...),
	// located like errors. They are worth showing but not failing for.
	Warnings []*diag.Diagnostic

	byLogical map[string]*File
	cssBundle map[string]*File
	inputs    []string
}

// Lookup returns the output made from a logical source path: a bundle for
// an entry point ("css/main.css", "js/app.ts"), the fingerprinted copy of
// another asset ("img/logo.png"), or a static file ("favicon.ico"; asset
// sources win if both exist). A leading "/" is accepted.
func (r *Result) Lookup(logical string) (*File, bool) {
	f, ok := r.byLogical[cleanLogical(logical)]
	return f, ok
}

// CSSBundle returns the CSS esbuild extracted from the CSS files a JS entry
// imports ("js/app.ts" importing "./app.css"): the page that loads the
// script also needs a <link rel="stylesheet"> to it. ok is false when the
// entry imports no CSS.
func (r *Result) CSSBundle(logical string) (*File, bool) {
	f, ok := r.cssBundle[cleanLogical(logical)]
	return f, ok
}

// Inputs returns every source file the build read, as absolute paths,
// sorted: entry points and what they import (partials, node_modules,
// url() targets), other assets and static files. A dev server rebuilds
// when one of them changes; new files show up in the directories it
// watches anyway.
func (r *Result) Inputs() []string {
	return append([]string(nil), r.inputs...)
}

func cleanLogical(p string) string {
	p = strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "/")
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// digest is the one hash taken of a file's bytes: its SRI value, and for
// files we fingerprint ourselves, the name hash too.
type digest [sha512.Size384]byte

func sum(data []byte) digest { return sha512.Sum384(data) }

func (d digest) integrity() string {
	return "sha384-" + base64.StdEncoding.EncodeToString(d[:])
}

// nameHash is 8 base32 characters (40 bits), the same shape as esbuild's
// [hash], so every fingerprinted name in the output looks alike.
func (d digest) nameHash() string {
	return base32.StdEncoding.EncodeToString(d[:5])
}

// fingerprintedPath returns publicPath/dir/name-HASH.ext for a logical
// path, or publicPath/logical with stable names.
func fingerprintedPath(publicPath, logical string, d digest, stable bool) string {
	if stable {
		return publicPath + "/" + logical
	}
	dir, name := path.Split(logical)
	ext := path.Ext(name)
	return publicPath + "/" + dir + strings.TrimSuffix(name, ext) + "-" + d.nameHash() + ext
}
