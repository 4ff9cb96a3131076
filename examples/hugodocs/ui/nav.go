// Package ui holds the components of the ported Hugo documentation and
// the helpers that order and group its entries. Every read of an entry's
// fields is here (in the templ files and this file), so that a change of
// the Entry API is a change of this package alone.
package ui

import (
	"cmp"
	"math"
	"path"
	"strings"

	"github.com/vergehq/verge/site"
)

// Meta is the Hugo docs front matter beyond Verge's common fields.
type Meta struct {
	LinkTitle   string   `yaml:"linkTitle" toml:"linkTitle"`
	Description string   `yaml:"description" toml:"description"`
	Categories  []string `yaml:"categories" toml:"categories"`
	Keywords    []string `yaml:"keywords" toml:"keywords"`
	// Reference is a glossary term's outside definition.
	Reference string `yaml:"reference" toml:"reference"`
	Params    struct {
		FunctionsAndMethods struct {
			Aliases    []string `yaml:"aliases" toml:"aliases"`
			ReturnType string   `yaml:"returnType" toml:"returnType"`
			Signatures []string `yaml:"signatures" toml:"signatures"`
		} `yaml:"functions_and_methods" toml:"functions_and_methods"`
	} `yaml:"params" toml:"params"`
}

// Entry is an entry of any of the site's collections.
type Entry = site.Entry[Meta]

// Menu is data/menu.toml: the global menu of the Hugo docs' hugo.toml.
type Menu struct {
	Global []MenuItem `toml:"global" yaml:"global" json:"global"`
}

// MenuItem is one link of the menu.
type MenuItem struct {
	Name   string `toml:"name" yaml:"name" json:"name"`
	URL    string `toml:"url" yaml:"url" json:"url"`
	Weight int    `toml:"weight" yaml:"weight" json:"weight"`
}

// Order is Hugo's default page order: by weight (unweighted pages last),
// then by link title, then by path.
func Order(a, b *Entry) int {
	return cmp.Or(cmp.Compare(weightKey(a), weightKey(b)), cmp.Compare(LinkTitle(a), LinkTitle(b)), cmp.Compare(a.ID(), b.ID()))
}

// ByTitle orders by title, case-insensitively, as the glossary lists its terms.
func ByTitle(a, b *Entry) int {
	return cmp.Or(cmp.Compare(strings.ToLower(a.Title()), strings.ToLower(b.Title())), cmp.Compare(a.ID(), b.ID()))
}

func weightKey(e *Entry) int {
	if e.Weight() == 0 {
		return math.MaxInt
	}
	return e.Weight()
}

// LinkTitle is the short title navigation shows: linkTitle, else title.
// It reads the one key (Param), so a sidebar listing a section's pages
// depends on their link titles, not on all of their front matter.
func LinkTitle(e *Entry) string {
	if s, _ := e.Param("linkTitle").(string); s != "" {
		return s
	}
	return e.Title()
}

// Keywords are an entry's terms of the keywords taxonomy.
func Keywords(e *Entry) []string { return e.Meta().Keywords }

// Categories are an entry's terms of the categories taxonomy.
func Categories(e *Entry) []string { return e.Meta().Categories }

// ID is the entry's path in its collection, e.g. "functions/strings".
func ID(e *Entry) string { return e.ID() }

// Dir is the directory of an entry in its collection: for a doc page, the
// section it belongs to ("" at the top).
func Dir(e *Entry) string {
	if d := path.Dir(e.ID()); d != "." {
		return d
	}
	return ""
}

// IsGlossary reports whether a section page is the glossary's, which shows
// every term instead of a list of pages.
func IsGlossary(sec *Entry) bool { return sec.ID() == "quick-reference/glossary" }

// Nav is what a doc page shows around its body: its section and the
// section's pages (the sidebar), and the pages before and after it there.
type Nav struct {
	Section    *Entry // nil for a page at the top or in a directory without _index.md
	Pages      []*Entry
	Prev, Next *Entry
	current    *Entry
}

// NewNav is the navigation of page e among pages, its section's.
func NewNav(section *Entry, pages []*Entry, e *Entry) Nav {
	n := Nav{Section: section, Pages: pages, current: e}
	for i, p := range pages {
		if !n.IsCurrent(p) {
			continue
		}
		if i > 0 {
			n.Prev = pages[i-1]
		}
		if i+1 < len(pages) {
			n.Next = pages[i+1]
		}
	}
	return n
}

// IsCurrent reports whether p is the page the navigation is for. It
// compares IDs: each read of a collection hands out views of its entries
// of its own, so the same entry need not be the same pointer.
func (n Nav) IsCurrent(p *Entry) bool { return p.ID() == n.current.ID() }

// Signatures are a function's or method's signatures from its front matter.
func Signatures(e *Entry) []string { return e.Meta().Params.FunctionsAndMethods.Signatures }

// ReturnType is a function's or method's return type from its front matter.
func ReturnType(e *Entry) string { return e.Meta().Params.FunctionsAndMethods.ReturnType }
