package site_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/site"
)

// declareDocsSite declares the site testdata/sites/docs.txtar is built
// with: the way a docs site is written, every page with a sidebar of its
// section made by filtering the whole collection.
func declareDocsSite(dir string) *site.Site {
	type footer struct {
		Text string `yaml:"text"`
	}
	s := site.NewAt(dir)
	docs := site.Markdown[struct{}](s, "docs")
	foot := site.Data[footer](s, "footer")
	section := func(c *site.Ctx, dir string) []*site.Entry[struct{}] {
		var out []*site.Entry[struct{}]
		for _, e := range docs.All(c) {
			if path.Dir(e.ID()) == dir {
				out = append(out, e)
			}
		}
		slices.SortStableFunc(out, func(a, b *site.Entry[struct{}]) int { return a.Weight() - b.Weight() })
		return out
	}
	str := func(s string) templ.Component {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, s); return err })
	}
	site.Each(s, "/docs/{id}/", docs, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		var b strings.Builder
		b.WriteString("<!doctype html><html lang=en><title>" + html.EscapeString(e.Title()) + "</title><nav>")
		for _, o := range section(c, path.Dir(e.ID())) {
			label, _ := o.Param("linktitle").(string) // Hugo's key, any case
			if label == "" {
				label = o.Title()
			}
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, o.URL(), html.EscapeString(label))
		}
		h, err := e.HTML(c)
		b.WriteString("</nav><main>" + h + "</main><footer>" + html.EscapeString(foot.Get(c).Text) + "</footer>")
		return str(b.String()), err
	})
	for _, sec := range []string{"guides", "reference"} {
		s.Page("/docs/"+sec+"/", func(c *site.Ctx) (templ.Component, error) {
			var b strings.Builder
			b.WriteString("<!doctype html><html lang=en><title>" + sec + "</title>")
			list := docs.InDir(c, sec) // records this directory's members only
			slices.SortStableFunc(list, func(a, b *site.Entry[struct{}]) int { return a.Weight() - b.Weight() })
			for _, e := range list {
				fmt.Fprintf(&b, `<p><a href="%s">%s</a> %s (%d min)</p>`, e.URL(), html.EscapeString(e.Title()), html.EscapeString(e.Summary()), e.ReadingTime())
				for _, h := range e.TOC() {
					fmt.Fprintf(&b, `<a href="%s#%s">%s</a>`, e.URL(), h.ID, html.EscapeString(h.Text))
				}
			}
			return str(b.String()), nil
		})
	}
	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		var b strings.Builder
		b.WriteString("<!doctype html><html lang=en><title>Docs</title>")
		for _, e := range docs.Latest(c, 2) {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, e.URL(), html.EscapeString(e.Title()))
		}
		return str(b.String()), nil
	})
	return s
}

// An edit renders again exactly the pages that read a value it changed:
// not the pages that read other values of the same file.
func TestEditRendersWhatReadTheChangedValue(t *testing.T) {
	guides := []string{"/docs/guides/configure/", "/docs/guides/deploy/", "/docs/guides/install/"}
	docs := append(slices.Clone(guides), "/docs/reference/cli/", "/docs/reference/config/")
	for _, tc := range []struct {
		name           string
		file           string
		old, new       string
		rendered       []string
		bytesUnchanged bool // the edit changes no page's bytes
	}{
		{"last paragraph of a body", "content/docs/guides/install.md", "the version it prints.", "the version it prints, and run it.", []string{"/docs/guides/install/"}, false},
		{"first paragraph, the summary", "content/docs/guides/install.md", "with one command", "with a single command", []string{"/docs/guides/", "/docs/guides/install/"}, false},
		{"heading renamed", "content/docs/guides/install.md", "## Requirements", "## What you need", []string{"/docs/guides/", "/docs/guides/install/"}, false},
		{"title", "content/docs/guides/install.md", "title: Install", "title: Installation", append([]string{"/", "/docs/guides/"}, guides...), false},
		{"weight reorders a section", "content/docs/guides/install.md", "weight: 1", "weight: 5", append([]string{"/docs/guides/"}, guides...), false},
		{"front matter no page reads", "content/docs/guides/install.md", "weight: 1", "weight: 1\nkeywords: [setup]", nil, true},
		{"front matter a sidebar shows", "content/docs/guides/deploy.md", "linkTitle: Ship", "linkTitle: Ship it", guides, false},
		{"front matter beside it no page shows", "content/docs/guides/deploy.md", "linkTitle: Ship", "linkTitle: Ship\ndescription: How to ship.", nil, true},
		{"date that keeps the order", "content/docs/reference/config.md", "date: 2023-12-02", "date: 2023-12-01", nil, true},
		{"data file comment", "data/footer.yaml", "# the footer", "# the site's footer", nil, true},
		{"data file value", "data/footer.yaml", "Made with Verge", "Built with Verge", docs, false},
		// The sidebars filter the whole collection, so they depend on all
		// of its members; the section lists read their directory alone.
		{"new page in one section", "content/docs/reference/api.md", "", "---\ntitle: API\ndate: 2023-11-01\nweight: 3\n---\nThe API.\n",
			append([]string{"/docs/reference/", "/docs/reference/api/"}, docs...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := extractSite(t, "docs")
			out := filepath.Join(dir, "dist")
			opts := site.BuildOptions{OutDir: out, BuildKey: "test"}
			first, err := declareDocsSite(dir).Build(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, filepath.FromSlash(tc.file))
			src := ""
			if tc.old != "" {
				src = readOut(t, dir, tc.file)
				if !strings.Contains(src, tc.old) {
					t.Fatalf("%s lacks %q", tc.file, tc.old)
				}
			}
			writeFile(t, p, strings.Replace(src, tc.old, tc.new, 1))
			rep, err := declareDocsSite(dir).Build(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var rendered []string
			for _, f := range rep.Manifest.Files {
				if was := first.Manifest.Lookup(f.Path); f.Route != "" && (was == nil || was.SHA256 != f.SHA256) {
					rendered = append(rendered, f.Route) // bytes changed: must have been rendered
				}
			}
			if tc.bytesUnchanged != (len(rendered) == 0) {
				t.Errorf("pages whose bytes changed: %v", rendered)
			}
			if rep.Rendered != len(tc.rendered) {
				t.Errorf("rendered %d pages, want %d: %v", rep.Rendered, len(tc.rendered), tc.rendered)
			}
			fresh := filepath.Join(t.TempDir(), "fresh")
			if _, err := declareDocsSite(dir).Build(context.Background(), site.BuildOptions{OutDir: fresh, BuildKey: "test"}); err != nil {
				t.Fatal(err)
			}
			if readOut(t, fresh, manifest.Path) != readOut(t, out, manifest.Path) {
				t.Error("the incremental build differs from a fresh one")
			}
		})
	}
}

func TestTOC(t *testing.T) {
	dir, _ := extractSite(t, "docs")
	s := site.NewAt(dir)
	docs := site.Markdown[struct{}](s, "docs")
	var got []site.Heading
	var body string
	s.Page("/", func(c *site.Ctx) (templ.Component, error) {
		e, err := docs.Get(c, "guides/install")
		if err != nil {
			return nil, err
		}
		got = e.TOC()
		body, err = e.HTML(c)
		return templ.Raw("<!doctype html><html lang=en><title>x</title>" + body), err
	})
	if _, err := s.Build(context.Background(), site.BuildOptions{OutDir: filepath.Join(dir, "dist"), BuildKey: "test"}); err != nil {
		t.Fatal(err)
	}
	want := []site.Heading{{Level: 2, ID: "requirements", Text: "Requirements"}}
	if !slices.Equal(got, want) {
		t.Errorf("TOC = %+v, want %+v", got, want)
	}
	if !strings.Contains(body, `id="requirements"`) {
		t.Errorf("the heading's id is not the TOC's:\n%s", body)
	}
}

// --explain says what a page read and why the build rendered it again.
func TestExplain(t *testing.T) {
	dir, _ := extractSite(t, "docs")
	opts := site.BuildOptions{OutDir: filepath.Join(dir, "dist"), BuildKey: "test", Explain: []string{"/docs/guides/deploy/", "/docs/reference/cli/", "/nope/"}}
	if _, err := declareDocsSite(dir).Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "content", "docs", "guides", "install.md")
	writeFile(t, p, strings.Replace(readOut(t, dir, "content/docs/guides/install.md"), "title: Install", "title: Installation", 1))
	rep, err := declareDocsSite(dir).Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ why, read string }{
		{"rendered: e:docs/guides/install#title changed", "e:docs/guides/install#title"},
		{"kept: every value it read has the version it had", "e:docs/reference/cli#body"},
		{"no page of the site has this route", ""},
	}
	if len(rep.Explained) != len(want) {
		t.Fatalf("explained %d pages, want %d", len(rep.Explained), len(want))
	}
	for i, w := range want {
		e := rep.Explained[i]
		read := false
		for _, f := range e.Read {
			read = read || f.Key == w.read
		}
		if e.Why != w.why || (w.read != "") != read {
			t.Errorf("%s: %q, read %v; want %q, reading %q", e.Route, e.Why, e.Read, w.why, w.read)
		}
	}
}
