package site_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/tools/txtar"

	"github.com/vergehq/verge/site"
)

// postMeta is the typed front matter of the test sites' posts.
type postMeta struct {
	Rating int `yaml:"rating" toml:"rating"`
}

// extractSite writes a txtar archive from testdata/sites into a fresh
// directory and returns it with the archive's comment (expectations).
func extractSite(t *testing.T, name string) (dir string, comment string) {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "sites", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, string(ar.Comment)
}

// declareTestSite declares the site every txtar fixture is built with:
// home, paginated posts, one page per post, tags, root pages, a data file
// if data/nav.yaml exists, and a function. Its layout takes the assets it
// references from [params] css/js, so fixtures can point at missing ones.
func declareTestSite(dir string) *site.Site {
	s := site.NewAt(dir)
	posts := site.Markdown[postMeta](s, "posts")
	pages := site.Markdown[struct{}](s, "")
	tags := site.Tags(posts)
	var nav *site.DataFile[[]string]
	if _, err := os.Stat(filepath.Join(dir, "data", "nav.yaml")); err == nil {
		nav = site.Data[[]string](s, "nav")
	}
	layout := func(c *site.Ctx, title string, body string) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			fmt.Fprintf(w, "<!doctype html><html lang=en><head><title>%s</title>", html.EscapeString(title))
			if css, ok := c.Config().Params["css"].(string); ok {
				if err := site.Stylesheet(css).Render(ctx, w); err != nil {
					return err
				}
			}
			fmt.Fprint(w, "</head><body><nav><a href=\"/\">Home</a> <a href=\"/posts/\">Posts</a>")
			if nav != nil {
				for _, n := range nav.Get(c) {
					fmt.Fprintf(w, " <span>%s</span>", html.EscapeString(n))
				}
			}
			fmt.Fprintf(w, "</nav><main>%s</main>", body)
			if js, ok := c.Config().Params["js"].(string); ok {
				if err := site.Script(js).Render(ctx, w); err != nil {
					return err
				}
			}
			_, err := fmt.Fprint(w, "</body></html>")
			return err
		})
	}
	list := func(entries []*site.Entry[postMeta]) string {
		var b strings.Builder
		b.WriteString("<ul>")
		for _, e := range entries {
			fmt.Fprintf(&b, `<li><a href="%s">%s</a> <time>%s</time> <p>%s</p></li>`, e.URL(), html.EscapeString(e.Title()), e.DateString(), html.EscapeString(e.Summary()))
		}
		b.WriteString("</ul>")
		return b.String()
	}
	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		return layout(c, "Home", list(posts.Latest(c, 2))), nil
	})
	site.Paginate(s, "/posts/", posts, 2, func(c *site.Ctx, p *site.Pager[postMeta]) (templ.Component, error) {
		body := list(p.Items)
		if p.Next() != "" {
			body += `<a href="` + p.Next() + `">next</a>`
		}
		return layout(c, "Posts", body), nil
	})
	site.Each(s, "/posts/{slug}/", posts, func(c *site.Ctx, e *site.Entry[postMeta]) (templ.Component, error) {
		h, err := e.HTML(c)
		var tl strings.Builder
		for _, t := range e.Tags() {
			fmt.Fprintf(&tl, `<a href="/tags/%s/">%s</a>`, site.Slugify(t), html.EscapeString(t))
		}
		return layout(c, e.Title(), fmt.Sprintf("<h1>%s</h1><p>rating %d</p>%s<article>%s</article>", html.EscapeString(e.Title()), e.Meta().Rating, tl.String(), h)), err
	})
	s.Page("/tags/", func(c *site.Ctx) (templ.Component, error) {
		var b strings.Builder
		for _, t := range tags.Terms(c) {
			fmt.Fprintf(&b, `<a href="%s">%s (%d)</a>`, t.URL(), t.Name(), t.Count())
		}
		return layout(c, "Tags", b.String()), nil
	})
	site.EachTerm(s, "/tags/{term}/", tags, 2, func(c *site.Ctx, t *site.Term[postMeta], p *site.Pager[postMeta]) (templ.Component, error) {
		return layout(c, t.Name(), list(p.Items)), nil
	})
	site.Each(s, "/{slug}/", pages, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		h, err := e.HTML(c)
		return layout(c, e.Title(), h), err
	})
	s.Func("GET /api/related/{slug}", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, len(posts.All(c)))
		return err
	}, site.EdgeTTL(3600e9), site.StaleWhileRevalidate(60e9))
	return s
}

// build declares the fixture's site and builds it into out.
func build(t *testing.T, dir, out string) (*site.Report, error) {
	t.Helper()
	return declareTestSite(dir).Build(context.Background(), site.BuildOptions{OutDir: out, BuildKey: "test"})
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
