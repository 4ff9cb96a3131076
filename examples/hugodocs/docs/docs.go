// Package docs declares the Hugo documentation as a Verge site, written
// the way a new user ports a docs site with the authoring API as it is:
// one collection of doc pages, one of section pages (Hugo's _index.md),
// the home page and the glossary terms, a sidebar on every doc page made
// of its directory's pages (Collection.InDir), and two taxonomies.
//
// The source tree is what examples/bench/docsport converts the Hugo docs
// into:
//
//	content/docs/<section>/<page>.md     every doc page, at /<section>/<page>/
//	content/sections/<section>.md        a section's _index.md, at /<section>/
//	content/home/index.md                the home page's _index.md
//	content/glossary/<term>.md           the glossary terms, all on one page
//	data/menu.toml                       the site menu of hugo.toml
//
// Every read of an entry's fields is in package ui, so that a change of
// the Entry API touches the components and their helpers only.
package docs

import (
	"github.com/a-h/templ"

	"github.com/vergehq/verge/examples/hugodocs/ui"
	"github.com/vergehq/verge/site"
)

// Declare declares the site's collections, data and pages on s.
func Declare(s *site.Site) {
	docs := site.Markdown[ui.Meta](s, "docs").SortBy(ui.Order)
	sections := site.Markdown[ui.Meta](s, "sections").SortBy(ui.Order)
	home := site.Markdown[ui.Meta](s, "home")
	glossary := site.Markdown[ui.Meta](s, "glossary").SortBy(ui.ByTitle)
	keywords := site.NewTaxonomy(docs, "keywords", ui.Keywords)
	categories := site.NewTaxonomy(docs, "categories", ui.Categories)
	menu := site.Data[ui.Menu](s, "menu")

	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		e, err := home.Get(c, "index")
		if err != nil {
			return nil, err
		}
		return ui.Home(menu.Get(c), e, sections.InDir(c, "")), nil
	})
	site.Each(s, "/{id}/", docs, func(c *site.Ctx, e *site.Entry[ui.Meta]) (templ.Component, error) {
		// The sidebar: the pages of e's directory, as a Hugo docs theme
		// ranges over .CurrentSection.Pages. InDir records that
		// directory's members only: a page added elsewhere leaves it be.
		dir := ui.Dir(e)
		pages := docs.InDir(c, dir)
		var section *site.Entry[ui.Meta]
		if dir != "" {
			section, _ = sections.Get(c, dir) // nil for a directory without _index.md
		}
		return ui.Doc(menu.Get(c), ui.NewNav(section, pages, e), e), nil
	})
	site.Each(s, "/{id}/", sections, func(c *site.Ctx, sec *site.Entry[ui.Meta]) (templ.Component, error) {
		if ui.IsGlossary(sec) {
			return ui.Glossary(menu.Get(c), sec, glossary.All(c)), nil
		}
		return ui.Section(menu.Get(c), sec, sections.InDir(c, ui.ID(sec)), docs.InDir(c, ui.ID(sec))), nil
	})
	for _, tax := range []struct {
		name, base string
		t          *site.Taxonomy[ui.Meta]
	}{{"Keywords", "/keywords/", keywords}, {"Categories", "/categories/", categories}} {
		s.Page(tax.base, func(c *site.Ctx) (templ.Component, error) {
			return ui.Terms(menu.Get(c), tax.name, tax.t.Terms(c)), nil
		})
		site.EachTerm(s, tax.base+"{term}/", tax.t, 50, func(c *site.Ctx, t *site.Term[ui.Meta], p *site.Pager[ui.Meta]) (templ.Component, error) {
			return ui.Term(menu.Get(c), tax.name, t, p), nil
		})
	}
	s.Page("/404.html", func(c *site.Ctx) (templ.Component, error) {
		return ui.NotFound(menu.Get(c)), nil
	})
}
