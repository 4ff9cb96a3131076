// Package gosite turns a site's source directory into a runnable site
// program: templ code generation and cached compilation.
//
// A Verge site is a Go main package in its own module. Generate writes the
// Go code for its .templ components (through templ's Go packages, so no templ
// binary is needed), and Compile builds the program into a per-site cache,
// reusing the previous binary when nothing that goes into it changed. Both
// report bad input as a *diag.List located in the site's own files: a
// compile error inside generated code is mapped back to the .templ line that
// caused it.
package gosite

import (
	"path/filepath"
	"strings"
)

// skipGenDir reports whether Generate leaves a directory alone: build
// output, dependencies, fixtures, and hidden or underscore directories,
// which the go command ignores too.
func skipGenDir(name string) bool {
	switch name {
	case "dist", "node_modules", "vendor", "testdata":
		return true
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// relSlash returns path relative to dir, slash-separated, for diagnostics;
// a path that cannot be made relative is returned as is.
func relSlash(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}
