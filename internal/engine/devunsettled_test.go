package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// An edit made while the dev server still has pages to render (the user
// does not wait for the background render) is built from the build being
// served: it renders what the edit changed among the pages open, keeps
// what was rendered, leaves the rest to render, and reports a CSS edit as
// an asset change, which the browser swaps in place, not as changed pages.
func TestDevEditWhilePagesRemainToRender(t *testing.T) {
	s := testSite(t)
	n := eagerPages * 3
	for i := range n {
		edit(t, s, fmt.Sprintf("note%03d", i), fmt.Sprintf("Note %d.\n", i))
	}
	css := filepath.Join(s.Root, "assets", "css", "main.css")
	if err := os.MkdirAll(filepath.Dir(css), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(css, []byte("body{color:red}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := NewDevBuilder(s, "k")
	defer d.Close()
	open := map[string]bool{"/note007/index.html": true, "/index.html": true}
	first := d.Build(ctx, nil, NewChangeSet(true), open)
	if first.Build == nil {
		t.Fatalf("first build failed: %v", first.Errs)
	}
	if first.Build.Lazy() == 0 {
		t.Fatal("the first build rendered every page at once: the test needs pages left to render")
	}
	// A browser asks for a page the first build left lazy.
	if pg, err := first.Build.Page("/note100/index.html"); pg == nil || err != nil {
		t.Fatalf("on-demand page: %v %v", pg, err)
	}

	for _, step := range []struct {
		name         string
		change       func() string
		rendered     []string // at once
		changed      []string // routes whose HTML changed
		assetChanged bool
	}{
		{"CSS edit", func() string {
			if err := os.WriteFile(css, []byte("body{color:blue}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return css
		}, nil, nil, true},
		{"open note edited", func() string { return edit(t, s, "note007", "Note seven, edited.\n") },
			[]string{"/note007/index.html"}, []string{"/note007/"}, false},
		{"note rendered on demand edited", func() string { return edit(t, s, "note100", "Note hundred, edited.\n") },
			nil, nil, false},
	} {
		t.Run(step.name, func(t *testing.T) {
			base := first.Build
			ch := NewChangeSet(false)
			ch.Paths[step.change()] = true
			res := d.Build(ctx, base, ch, open)
			if res.Build == nil {
				t.Fatalf("rebuild failed: %v", res.Errs)
			}
			if !slices.Equal(res.Rendered, step.rendered) {
				t.Errorf("rendered at once %v, want %v", res.Rendered, step.rendered)
			}
			if !slices.Equal(res.Changed, step.changed) {
				t.Errorf("changed %v, want %v", res.Changed, step.changed)
			}
			if got := len(res.Assets) > 0; got != step.assetChanged {
				t.Errorf("assets changed: %v, want %v", res.Assets, step.assetChanged)
			}
			// What was rendered before and still holds is kept, not left
			// to render again.
			if res.Build.rendered("/note050/index.html") == nil && base.rendered("/note050/index.html") != nil {
				t.Error("a page rendered before the edit is to be rendered again")
			}
			if res.Build.Lazy() == 0 {
				t.Error("the rebuild rendered every page")
			}
			first.Build = res.Build
		})
	}
	// Completing the last build gives the pages a fresh build has.
	fin := d.Complete(first.Build, first.Build, nil, func() bool { return false })
	if fin.Build == nil {
		t.Fatalf("complete failed: %v", fin.Errs)
	}
	fresh := NewDevBuilder(s, "k")
	defer fresh.Close()
	want := fresh.Build(ctx, nil, NewChangeSet(true), nil)
	want = fresh.Complete(nil, want.Build, want.Rendered, func() bool { return false })
	for p, pg := range want.Build.Pages() {
		if got := fin.Build.Pages()[p]; got == nil || string(got.HTML) != string(pg.HTML) {
			t.Errorf("%s: after the edits %v, fresh %q", p, got, pg.HTML)
		}
	}
}

// After the background render completes, an edit renders only what it
// changed: nothing is left to render again.
func TestDevEditAfterCompletion(t *testing.T) {
	s := testSite(t)
	for i := range eagerPages * 2 {
		edit(t, s, fmt.Sprintf("note%03d", i), fmt.Sprintf("Note %d.\n", i))
	}
	ctx := context.Background()
	d := NewDevBuilder(s, "k")
	defer d.Close()
	first := d.Build(ctx, nil, NewChangeSet(true), nil)
	fin := d.Complete(nil, first.Build, first.Rendered, func() bool { return false })
	if fin.Build == nil || fin.Build.Lazy() != 0 {
		t.Fatalf("complete: %v", fin.Errs)
	}
	ch := NewChangeSet(false)
	ch.Paths[edit(t, s, "note005", "Note five, edited.\n")] = true
	res := d.Build(ctx, fin.Build, ch, nil)
	if res.Build == nil {
		t.Fatalf("rebuild failed: %v", res.Errs)
	}
	if !slices.Equal(res.Rendered, []string{"/note005/index.html"}) || res.Build.Lazy() != 0 {
		t.Errorf("rendered %v with %d left to render; want only /note005/", res.Rendered, res.Build.Lazy())
	}
}
