package engine

// This file holds which routes a build can write, and where.

import (
	"fmt"
	"path"
	"strings"
)

// ValidRoute reports whether r is a route Verge can write: an absolute,
// clean path that ends in "/" (a directory page) or names a file.
func ValidRoute(r string) error {
	if !strings.HasPrefix(r, "/") {
		return fmt.Errorf("route %q must start with /", r)
	}
	if strings.ContainsAny(r, "?#\\ ") || strings.Contains(r, "..") {
		return fmt.Errorf("route %q may not contain spaces, ?, #, \\ or \"..\"", r)
	}
	last := path.Base(r)
	if !strings.HasSuffix(r, "/") && !strings.Contains(last, ".") {
		return fmt.Errorf("route %q must end in / (a page) or name a file such as /feed.xml", r)
	}
	return nil
}

// OutputPath is where route r is written in the output directory:
// "/" -> "index.html", "/posts/a/" -> "posts/a/index.html",
// "/feed.xml" -> "feed.xml".
func OutputPath(r string) string {
	if strings.HasSuffix(r, "/") {
		return strings.TrimPrefix(r, "/") + "index.html"
	}
	return strings.TrimPrefix(r, "/")
}
