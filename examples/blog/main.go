// Command blog is Verge's default example site, and what `verge new`
// copies: a small blog with posts, tags, an about page and one API
// function. Build it with `verge build`.
package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/examples/blog/components"
	"github.com/vergehq/verge/site"
)

func main() {
	s := site.New()

	// Content: what the site is made of. Every read below goes through c,
	// so each page knows which posts it shows and is rebuilt (and purged
	// from the CDN) only when one of them changes.
	posts := site.Markdown[components.Post](s, "posts") // content/posts/*.md
	pages := site.Markdown[components.Page](s, "")      // content/*.md, e.g. about.md
	tags := site.Tags(posts)
	meta := site.Data[components.SiteData](s, "site") // data/site.yaml

	// Pages.
	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		return components.Home(meta.Get(c), posts.Latest(c, 5)), nil
	})
	site.Paginate(s, "/posts/", posts, 5, func(c *site.Ctx, p *site.Pager[components.Post]) (templ.Component, error) {
		return components.PostList(meta.Get(c), p), nil
	})
	site.Each(s, "/posts/{slug}/", posts, func(c *site.Ctx, e *site.Entry[components.Post]) (templ.Component, error) {
		return components.PostPage(meta.Get(c), e), nil
	})
	s.Page("/tags/", func(c *site.Ctx) (templ.Component, error) {
		return components.TagIndex(meta.Get(c), tags.Terms(c)), nil
	})
	site.EachTerm(s, "/tags/{term}/", tags, 5, func(c *site.Ctx, t *site.Term[components.Post], p *site.Pager[components.Post]) (templ.Component, error) {
		return components.TagPage(meta.Get(c), t, p), nil
	})
	site.Each(s, "/{slug}/", pages, func(c *site.Ctx, e *site.Entry[components.Page]) (templ.Component, error) {
		return components.ContentPage(meta.Get(c), e), nil
	})
	s.Page("/404.html", func(c *site.Ctx) (templ.Component, error) {
		return components.NotFound(meta.Get(c)), nil
	})

	// API functions run at the origin, behind the edge cache. This one
	// lets a post page show related posts without rebuilding every post
	// whenever another one changes.
	s.Func("GET /api/related/{slug}", related(posts),
		site.EdgeTTL(time.Hour),
		site.StaleWhileRevalidate(24*time.Hour),
		site.StaleIfError(24*time.Hour),
	)

	site.Main(s)
}

// relatedPost is one item of /api/related/{slug}.
type relatedPost struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	Date  string `json:"date"`
}

// related answers with up to three posts that share the most tags with
// the post {slug}, newest first among equals.
func related(posts *site.Collection[components.Post]) site.FuncHandler {
	return func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		all := posts.All(c) // the response is purged whenever a post changes
		i := slices.IndexFunc(all, func(e *site.Entry[components.Post]) bool { return e.Slug() == r.PathValue("slug") })
		if i < 0 {
			http.Error(w, "no such post", http.StatusNotFound)
			return nil
		}
		type scored struct {
			e      *site.Entry[components.Post]
			shared int
		}
		var found []scored
		for _, e := range all {
			if e == all[i] {
				continue
			}
			n := 0
			for _, t := range e.Tags() {
				if slices.Contains(all[i].Tags(), t) {
					n++
				}
			}
			if n > 0 {
				found = append(found, scored{e, n})
			}
		}
		// all is newest first, and a stable sort keeps that among equals.
		slices.SortStableFunc(found, func(a, b scored) int { return b.shared - a.shared })

		out := []relatedPost{}
		for _, f := range found[:min(3, len(found))] {
			out = append(out, relatedPost{Title: f.e.Title(), URL: f.e.URL(), Date: f.e.DateString()})
		}
		w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(out)
	}
}
