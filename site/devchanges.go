package site

import (
	"path/filepath"
	"strings"
)

// changeSet is what changed on disk since the dev server's last good
// build. A failed rebuild keeps its changes, so the next attempt redoes
// them too: a break and its fix in a row end as a clean build of both.
type changeSet struct {
	all   bool            // anything may have changed: reload everything
	paths map[string]bool // absolute paths reported: files or directories
	// templ is set when a .templ file's text changed: any page may look
	// different, though no content did.
	templ bool
}

// newChangeSet is an empty change set; all marks everything changed.
func newChangeSet(all bool) *changeSet { return &changeSet{all: all, paths: map[string]bool{}} }

// merge adds o's changes to c.
func (c *changeSet) merge(o *changeSet) {
	c.all = c.all || o.all
	c.templ = c.templ || o.templ
	for p := range o.paths {
		c.paths[p] = true
	}
}

// empty reports whether nothing changed.
func (c *changeSet) empty() bool { return !c.all && !c.templ && len(c.paths) == 0 }

// has reports whether the file p changed: it, or a directory holding it
// (moved in, say), was reported.
func (c *changeSet) has(p string) bool {
	if c == nil || c.all {
		return true
	}
	for {
		if c.paths[p] {
			return true
		}
		parent := filepath.Dir(p)
		if parent == p {
			return false
		}
		p = parent
	}
}

// touches reports whether anything at or below dir changed, or dir itself
// came or went with a directory above it.
func (c *changeSet) touches(dir string) bool {
	if c == nil || c.all || c.has(dir) {
		return true
	}
	prefix := dir + string(filepath.Separator)
	for p := range c.paths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
