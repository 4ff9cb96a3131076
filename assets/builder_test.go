package assets

import (
	"context"

	"github.com/evanw/esbuild/pkg/api"
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
	onlyContext := func() api.BuildContext {
		t.Helper()
		if len(b.groups) != 1 {
			t.Fatalf("%d entry groups, want 1", len(b.groups))
		}
		for _, g := range b.groups {
			return g.bctx
		}
		return nil
	}
	bctx := onlyContext()

	// Edits of partials, scripts and static files, written right after the
	// build (same mtime second): the Rebuild must see them.
	writeFiles(t, root, map[string]string{
		"assets/css/_vars.css": ":root { --fg: #abcdef; }\n",
		"assets/js/_lib/n.ts":  "export const n = 'rebuilt';\n",
		"static/robots.txt":    "Disallow: /\n",
	})
	r2 := build()
	if onlyContext() != bctx {
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

// With PerEntry, a change rebuilds only the entries that read the changed
// file; the others keep their output as it was.
func TestBuildChangedPerEntry(t *testing.T) {
	root := writeTree(t, site)
	opts := siteOptions(root)
	opts.PerEntry = true
	b, err := NewBuilder(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Dispose()
	ctx := context.Background()
	r1, err := b.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.groups) < 2 {
		t.Fatalf("%d entry groups, want one per entry", len(b.groups))
	}
	lastOf := func(entry string) *api.BuildResult {
		for _, g := range b.groups {
			if g.entries[0] == entry {
				return g.last
			}
		}
		t.Fatalf("no group for %s", entry)
		return nil
	}
	jsBefore, printBefore := lastOf("js/app.ts"), lastOf("css/print.css")

	vars := filepath.Join(root, "assets/css/_vars.css")
	writeFiles(t, root, map[string]string{"assets/css/_vars.css": ":root { --fg: #abcdef; }\n"})
	r2, err := b.BuildChanged(ctx, []string{vars})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mustLookup(t, r2, "css/main.css").Data), "#abcdef") {
		t.Error("the entry that imports the changed file was not rebuilt")
	}
	if lastOf("js/app.ts") != jsBefore || lastOf("css/print.css") != printBefore {
		t.Error("entries that do not read the changed file were rebuilt")
	}
	for _, l := range []string{"js/app.ts", "css/print.css"} {
		if mustLookup(t, r1, l).Path != mustLookup(t, r2, l).Path {
			t.Errorf("%s changed", l)
		}
	}

	// A file no entry reads changes nothing; a broken one fails, and its
	// fix recovers.
	lib := filepath.Join(root, "assets/js/_lib/n.ts")
	writeFiles(t, root, map[string]string{"assets/js/_lib/n.ts": "export const n = ;\n"})
	if _, err := b.BuildChanged(ctx, []string{lib}); err == nil {
		t.Error("broken import built")
	}
	writeFiles(t, root, map[string]string{"assets/js/_lib/n.ts": "export const n = 'per-entry';\n"})
	r3, err := b.BuildChanged(ctx, []string{lib})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mustLookup(t, r3, "js/app.ts").Data), "per-entry") {
		t.Error("fix not built")
	}
}
