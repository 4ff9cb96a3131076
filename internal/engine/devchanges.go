package engine

// This file holds ChangeSet: what changed on disk between two builds of
// the dev server, as its sources see it.

import (
	"path/filepath"
	"strings"
)

// ChangeSet is what changed on disk since the dev server's last good
// build. A failed rebuild keeps its changes, so the next attempt redoes
// them too: a break and its fix in a row end as a clean build of both.
type ChangeSet struct {
	All   bool            // anything may have changed: reload everything
	Paths map[string]bool // absolute paths reported: files or directories
	// Templ is set when a .templ file's text changed: any page may look
	// different, though no content did.
	Templ bool
}

// NewChangeSet is an empty change set; all marks everything changed.
func NewChangeSet(all bool) *ChangeSet { return &ChangeSet{All: all, Paths: map[string]bool{}} }

// Merge adds o's changes to c.
func (c *ChangeSet) Merge(o *ChangeSet) {
	c.All = c.All || o.All
	c.Templ = c.Templ || o.Templ
	for p := range o.Paths {
		c.Paths[p] = true
	}
}

// Empty reports whether nothing changed.
func (c *ChangeSet) Empty() bool { return !c.All && !c.Templ && len(c.Paths) == 0 }

// Has reports whether the file p changed: it, or a directory holding it
// (moved in, say), was reported.
func (c *ChangeSet) Has(p string) bool {
	if c == nil || c.All {
		return true
	}
	for {
		if c.Paths[p] {
			return true
		}
		parent := filepath.Dir(p)
		if parent == p {
			return false
		}
		p = parent
	}
}

// Touches reports whether anything at or below dir changed, or dir itself
// came or went with a directory above it.
func (c *ChangeSet) Touches(dir string) bool {
	if c == nil || c.All || c.Has(dir) {
		return true
	}
	prefix := dir + string(filepath.Separator)
	for p := range c.Paths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
