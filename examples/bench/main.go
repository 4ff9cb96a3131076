// Command bench is the benchmark site: it builds the corpus that
// shared/corpus/gen.py writes (found in $VERGE_CORPUS) into exactly the
// page set of shared/corpus/README.md, the same pages Hugo's reference
// layouts produce.
package main

import (
	"os"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/examples/bench/ui"
	"github.com/vergehq/verge/site"
)

func main() {
	s := site.New()
	if dir := os.Getenv("VERGE_CORPUS"); dir != "" {
		s = site.NewAt(dir)
	}
	posts := site.Markdown[ui.Meta](s, "posts")
	pages := site.Markdown[ui.Meta](s, "")
	tags := site.Tags(posts)

	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		return ui.Home(posts.Latest(c, 20)), nil
	})
	site.Paginate(s, "/posts/", posts, 20, func(c *site.Ctx, p *site.Pager[ui.Meta]) (templ.Component, error) {
		return ui.List("Posts", p), nil
	})
	site.Each(s, "/posts/{slug}/", posts, func(c *site.Ctx, e *site.Entry[ui.Meta]) (templ.Component, error) {
		return ui.Post(e), nil
	})
	s.Page("/tags/", func(c *site.Ctx) (templ.Component, error) {
		return ui.Tags(tags.Terms(c)), nil
	})
	site.EachTerm(s, "/tags/{term}/", tags, 20, func(c *site.Ctx, t *site.Term[ui.Meta], p *site.Pager[ui.Meta]) (templ.Component, error) {
		return ui.List(t.Name(), p), nil
	})
	site.Each(s, "/{slug}/", pages, func(c *site.Ctx, e *site.Entry[ui.Meta]) (templ.Component, error) {
		return ui.Page(e), nil
	})
	site.Main(s)
}
