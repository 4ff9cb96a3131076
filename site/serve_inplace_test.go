package site_test

// This file drives headless Chromium against the dev server to hold the
// in-place page update to what a developer sees: a content edit changes
// the open page without navigating (the page's JavaScript state, scroll,
// focus and typed text survive), and the page reloads instead where an
// in-place update would be wrong.

import (
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/browser"
	"github.com/vergehq/verge/site"
)

// inPlaceSite declares a site of notes (a page each and a list of them)
// and of two kinds of page an in-place update must not touch: one whose
// inline script shows the title, and one a script adds to after load.
func inPlaceSite(dir string) *site.Site {
	s := site.NewAt(dir)
	notes := site.Markdown[struct{}](s, "notes")
	scripted := site.Markdown[struct{}](s, "scripted")
	widgets := site.Markdown[struct{}](s, "widgets")
	component := func(title, description, head, body string) templ.Component {
		return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			fmt.Fprintf(w, `<!doctype html><html lang=en><head><meta charset=utf-8><title>%s</title><meta name=description content="%s">`,
				html.EscapeString(title), html.EscapeString(description))
			if err := site.Stylesheet("css/site.css").Render(ctx, w); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, `%s</head><body><input id=q><main>%s</main><div style="height:4000px"></div></body></html>`, head, body)
			return err
		})
	}
	site.Each(s, "/notes/{slug}/", notes, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		h, err := e.HTML(c)
		ld := fmt.Sprintf(`<script type="application/ld+json">{"headline": %q}</script>`, e.Title())
		return component(e.Title(), e.Summary(), ld, "<h1>"+html.EscapeString(e.Title())+"</h1>"+h), err
	})
	s.Page("/notes/", func(c *site.Ctx) (templ.Component, error) {
		var b strings.Builder
		for _, e := range notes.All(c) {
			fmt.Fprintf(&b, `<li><a href="%s">%s</a></li>`, e.URL(), html.EscapeString(e.Title()))
		}
		return component("Notes", "All notes", "", "<ul>"+b.String()+"</ul>"), nil
	})
	site.Each(s, "/scripted/{slug}/", scripted, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		h, err := e.HTML(c)
		return component(e.Title(), "", fmt.Sprintf("<script>window.pageTitle = %q</script>", e.Title()), h), err
	})
	site.Each(s, "/widgets/{slug}/", widgets, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		h, err := e.HTML(c)
		widget := `<script>document.querySelector("main").append(Object.assign(document.createElement("p"), {id: "widget", textContent: "built by a script"}))</script>`
		return component(e.Title(), "", "", h+widget), err
	})
	return s
}

// A content edit updates the open page in place, in the page edited and
// in a list that shows it; where a morph would undo a script's work or
// leave an old script running, the page reloads and shows the edit.
func TestServeUpdatesPageInPlace(t *testing.T) {
	if _, err := browser.Path(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must install Chromium:", err)
		}
		t.Skip("needs Chromium:", err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "verge.toml"), "title = \"In place\"\n")
	writeFile(t, filepath.Join(dir, "assets", "css", "site.css"), "main { color: rgb(1, 2, 3); }\n")
	note := func(title, body string) string { return "---\ntitle: " + title + "\n---\n" + body + "\n" }
	writeFile(t, filepath.Join(dir, "content", "notes", "a.md"), note("Note A", "First words of A.\n\nA second paragraph."))
	writeFile(t, filepath.Join(dir, "content", "notes", "b.md"), note("Note B", "First words of B."))
	writeFile(t, filepath.Join(dir, "content", "notes", "c.md"), note("Note C", "First words of C."))
	writeFile(t, filepath.Join(dir, "content", "scripted", "s.md"), note("Scripted", "A page with a script."))
	writeFile(t, filepath.Join(dir, "content", "widgets", "w.md"), note("Widget", "A page a script adds to."))
	base := serveDeclared(t, inPlaceSite(dir))

	b, err := browser.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	eval := func(t *testing.T, expr string) string {
		t.Helper()
		v, err := browser.Eval[string](b, "String("+expr+")")
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	wait := func(t *testing.T, expr string) {
		t.Helper()
		if err := b.Wait(expr, 10*time.Second); err != nil {
			t.Fatalf("%v; the page shows: %s", err, eval(t, "document.documentElement.outerHTML"))
		}
	}

	for _, tc := range []struct {
		name, page, file, edit string // edit "" removes the file
		setup                  string // JS run on the page before the edit
		shown                  string // JS: the edit is in the page
		inPlace                bool
		after                  map[string]string // JS expression -> its value after the edit
	}{{
		name: "edited page", page: "/notes/a/", file: "notes/a.md", edit: note("Note A, renamed", "New first words of A.\n\nA second paragraph."),
		setup: `q.focus(); q.value = "typed"; scrollTo(0, 300); document.querySelectorAll("main p")[1].kept = "yes"`,
		shown: `document.body.innerText.includes("New first words of A.")`, inPlace: true,
		after: map[string]string{
			"document.title":            "Note A, renamed",
			"scrollY":                   "300",
			"q.value":                   "typed",
			"document.activeElement.id": "q",
			// The paragraph the edit left as it was is the same node.
			`document.querySelectorAll("main p")[1].kept`:              "yes",
			`document.querySelector("meta[name=description]").content`: "New first words of A.",
			`document.querySelector("h1").textContent`:                 "Note A, renamed",
			// Structured data follows, without a reload.
			`JSON.parse(document.querySelector("script[type='application/ld+json']").textContent).headline`: "Note A, renamed",
			`document.querySelectorAll("script[type='application/ld+json']").length`:                        "1",
			// Neither the live-reload client nor the stylesheet doubled.
			`document.querySelectorAll("script[src='/_verge/live.js']").length`: "1",
			`document.querySelectorAll("link[rel=stylesheet]").length`:          "1",
			`getComputedStyle(document.querySelector("main")).color`:            "rgb(1, 2, 3)",
		},
	}, {
		name: "list that shows it", page: "/notes/", file: "notes/b.md", edit: note("Note B, renamed", "First words of B."),
		shown: `document.body.innerText.includes("Note B, renamed")`, inPlace: true,
		after: map[string]string{`document.querySelectorAll("li").length`: "3"},
	}, {
		name: "page whose script changed", page: "/scripted/s/", file: "scripted/s.md", edit: note("Scripted, renamed", "A page with a script."),
		shown: `window.pageTitle === "Scripted, renamed"`,
	}, {
		name: "page a script added to", page: "/widgets/w/", file: "widgets/w.md", edit: note("Widget", "A page a script adds to, edited."),
		shown: `document.body.innerText.includes("adds to, edited.")`,
		after: map[string]string{`document.querySelectorAll("#widget").length`: "1"},
	}, {
		// Its fetch answers 404: the page reloads to show that.
		name: "page removed", page: "/notes/c/", file: "notes/c.md", edit: "",
		shown: `document.body.innerText.includes("/notes/c/ is not in the build")`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.Open(base+tc.page, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			wait(t, `document.documentElement.dataset.vergeLive === "connected" && document.documentElement.dataset.vergeBase === "known"`)
			eval(t, `window.__notReloaded = "yes"`)
			if tc.setup != "" {
				eval(t, "(() => { "+tc.setup+" })()")
			}
			if p := filepath.Join(dir, "content", filepath.FromSlash(tc.file)); tc.edit == "" {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, p, tc.edit)
			}
			wait(t, tc.shown)
			want := map[bool]string{true: "yes", false: "undefined"}[tc.inPlace]
			if got := eval(t, "window.__notReloaded"); got != want {
				t.Errorf("in place %v: window.__notReloaded is %s after the edit, want %s", tc.inPlace, got, want)
			}
			for expr, want := range tc.after {
				if got := eval(t, expr); got != want {
					t.Errorf("%s = %q, want %q", expr, got, want)
				}
			}
		})
	}
}
