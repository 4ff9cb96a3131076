package assets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestBuilderRebuild(t *testing.T) {
	root := writeTree(t, site)
	b, err := NewBuilder(siteOptions(root))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Dispose()
	ctx := context.Background()
	build := func() *Result {
		t.Helper()
		r, err := b.Build(ctx)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		return r
	}
	contains := func(r *Result, logical, s string) bool {
		t.Helper()
		return strings.Contains(string(mustLookup(t, r, logical).Data), s)
	}

	r1 := build()
	bctx := b.bctx

	// Edits of partials, scripts and static files, written right after the
	// build (same mtime second): the Rebuild must see them.
	writeFiles(t, root, map[string]string{
		"assets/css/_vars.css": ":root { --fg: #abcdef; }\n",
		"assets/js/_lib/n.ts":  "export const n = 'rebuilt';\n",
		"static/robots.txt":    "Disallow: /\n",
	})
	r2 := build()
	if b.bctx != bctx {
		t.Error("context recreated although the entry points did not change")
	}
	if !contains(r2, "css/main.css", "#abcdef") || !contains(r2, "js/app.ts", "rebuilt") || !contains(r2, "robots.txt", "Disallow") {
		t.Error("rebuild returned old content")
	}
	for _, l := range []string{"css/main.css", "js/app.ts"} {
		if mustLookup(t, r1, l).Path == mustLookup(t, r2, l).Path {
			t.Errorf("%s: fingerprint unchanged after an edit", l)
		}
	}
	if mustLookup(t, r1, "css/print.css").Path != mustLookup(t, r2, "css/print.css").Path {
		t.Error("untouched entry changed its fingerprint")
	}

	// A new entry point needs a new context; the old results stay valid.
	writeFiles(t, root, map[string]string{"assets/js/new.js": "console.log('new');\n"})
	r3 := build()
	if !contains(r3, "js/new.js", "'new'") && !contains(r3, "js/new.js", `"new"`) {
		t.Error("new entry not built")
	}
	if !contains(r1, "css/main.css", "#222") {
		t.Error("an older Result changed")
	}

	// Breaking a file fails the build; fixing it recovers.
	writeFiles(t, root, map[string]string{"assets/js/_lib/n.ts": "export const n = ;\n"})
	if _, err := b.Build(ctx); err == nil || diagnostics(t, err)[0].File != "assets/js/_lib/n.ts" {
		t.Errorf("broken partial: err = %v", err)
	}
	writeFiles(t, root, map[string]string{"assets/js/_lib/n.ts": "export const n = 'fixed';\n"})
	if r := build(); !contains(r, "js/app.ts", "fixed") {
		t.Error("fix not picked up")
	}

	// A removed entry disappears.
	if err := os.Remove(filepath.Join(root, "assets/css/print.css")); err != nil {
		t.Fatal(err)
	}
	r5 := build()
	if _, ok := r5.Lookup("css/print.css"); ok {
		t.Error("removed entry still built")
	}

	// Dispose keeps the Builder usable.
	b.Dispose()
	if r := build(); !contains(r, "css/main.css", "#abcdef") {
		t.Error("build after Dispose")
	}
}

func TestBuilderConcurrentBuilds(t *testing.T) {
	b, err := NewBuilder(siteOptions(writeTree(t, site)))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Dispose()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := b.Build(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// With StableNames an edit changes an asset's bytes, never its URL: the
// dev server relies on that to swap stylesheets without touching pages.
func TestStableNames(t *testing.T) {
	root := writeTree(t, site)
	opts := siteOptions(root)
	opts.StableNames = true
	b, err := NewBuilder(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Dispose()
	r1, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := mustLookup(t, r1, "css/main.css").Path; got != "/_assets/css/main.css" {
		t.Errorf("main.css at %s, want /_assets/css/main.css", got)
	}
	writeFiles(t, root, map[string]string{"assets/css/_vars.css": ":root { --fg: #abcdef; }\n"})
	r2, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r1.Files {
		if f.Source == "" {
			continue
		}
		g := mustLookup(t, r2, f.Source)
		if g.Path != f.Path {
			t.Errorf("%s moved from %s to %s", f.Source, f.Path, g.Path)
		}
	}
	if !strings.Contains(string(mustLookup(t, r2, "css/main.css").Data), "#abcdef") {
		t.Error("edit not built")
	}
}
