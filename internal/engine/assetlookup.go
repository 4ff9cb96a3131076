package engine

// This file holds how a build resolves the assets pages refer to, and the
// tags those assets carry.

import (
	"slices"
	"strings"

	"github.com/vergehq/verge/assets"
)

// AssetLookup resolves a logical asset path ("css/main.css") for a build.
type AssetLookup struct {
	Res *assets.Result
	// Stable is set for the dev server's builds, whose asset URLs carry
	// no hash (assets.Options.StableNames): pages then neither depend on
	// an asset's bytes nor carry SRI, which would go stale as the file
	// changes under the same URL.
	Stable bool
}

// Version is what a page that references f depends on: the URL it
// writes, and in a production build the bytes that URL stands for.
func (a AssetLookup) Version(f *assets.File) string {
	if a.Stable {
		return f.Path
	}
	return f.Integrity
}

// Integrity is the SRI value a page writes for f ("" for none).
func (a AssetLookup) Integrity(f *assets.File) string {
	if a.Stable {
		return ""
	}
	return f.Integrity
}

// Find returns the asset built from the logical path under assets/.
func (a AssetLookup) Find(logical string) (*assets.File, bool) {
	if a.Res == nil {
		return nil, false
	}
	return a.Res.Lookup(strings.TrimPrefix(logical, "/"))
}

// servedAt returns the output served at URL path p (a static file's
// path is where it is served).
func (a AssetLookup) servedAt(p string) (*assets.File, bool) {
	if a.Res == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(a.Res.Files, p, func(f *assets.File, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return nil, false
	}
	return a.Res.Files[i], true
}

// sourceRef maps a reference written in HTML as the source path, such as
// "/assets/css/main.css", to the asset built from it.
func (a AssetLookup) sourceRef(ref string) (*assets.File, bool) {
	logical, ok := strings.CutPrefix(ref, "/assets/")
	if !ok {
		return nil, false
	}
	return a.Find(logical)
}

// AssetTag is the tag of a built file, from its source path as the build
// knows it (so "./css/main.css" and "css/main.css" are one tag): "a:" for
// files from assets/, "s:" for files from static/.
func AssetTag(f *assets.File) string {
	if f.Fingerprinted {
		return MakeTag("a", f.Source)
	}
	return MakeTag("s", f.Source)
}
