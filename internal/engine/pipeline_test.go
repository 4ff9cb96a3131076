package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
)

// notes is a content source of the test site: every .txt file of notes/,
// each with the tag "n:NAME", and their list with the tag "l:notes".
type notes struct{ root string }

type notesState struct {
	text     map[string]string // name -> text
	versions map[string]string // tag -> version
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func (n *notes) Load(b *Build, errs *diag.List) {
	st := &notesState{text: map[string]string{}, versions: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(n.root, "notes", "*.txt"))
	errs.AddErr("notes", err)
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs.AddErr(f, err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		names = append(names, name)
		st.text[name] = string(data)
		st.versions["n:"+name] = hash(string(data))
	}
	st.versions["l:notes"] = hash(strings.Join(names, ","))
	b.SetState(n, st)
}

func (n *notes) TagVersions(b *Build) map[string]string { return b.State(n).(*notesState).versions }

// notePages is the test site's route: "/" lists the notes, "/NAME/"
// shows one.
type notePages struct{ src *notes }

func (r notePages) Input(b *Build) any { return b.State(r.src) }

func (r notePages) Expand(b *Build) []PageJob {
	st := b.State(r.src).(*notesState)
	page := func(route, tag, body string) PageJob {
		return PageJob{Route: route, Source: "notes", Decl: "test", Render: func(_ context.Context, rec *Recorder, w io.Writer) error {
			rec.Read(tag, st.versions[tag])
			_, err := fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title></head><body>%s</body></html>", route, body)
			return err
		}}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range st.text {
			if !yield(n) {
				return
			}
		}
	})
	jobs := []PageJob{page("/", "l:notes", strings.Join(names, " "))}
	for _, n := range names {
		jobs = append(jobs, page("/"+n+"/", "n:"+n, st.text[n]))
	}
	return jobs
}

// testSite copies testdata/ to a directory of its own and declares the
// notes site there.
func testSite(t *testing.T) *Site {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	src := &notes{root: root}
	return &Site{Root: root, Loaders: []Loader{src}, Routes: []Route{notePages{src}},
		Config: func(bool) (*Config, error) {
			return &Config{Fingerprint: "test", OutputDir: filepath.Join(root, "dist"),
				Assets: assets.Options{Root: root, AssetsDir: filepath.Join(root, "assets"), StaticDir: filepath.Join(root, "static")}}, nil
		}}
}

func edit(t *testing.T, s *Site, name, text string) string {
	t.Helper()
	p := filepath.Join(s.Root, "notes", name+".txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The build to disk renders every page once, then only the pages whose
// reads changed; with nothing changed it leaves the output as it is.
func TestBuildDirRedoesOnlyWhatChanged(t *testing.T) {
	s := testSite(t)
	ctx := context.Background()
	for _, step := range []struct {
		name             string
		change           func()
		rendered, reused int
		unchanged        bool
		page, wantInPage string
	}{
		{name: "first", change: func() {}, rendered: 3, page: "pears/index.html", wantInPage: "Pears are green."},
		{name: "nothing changed", change: func() {}, reused: 3, unchanged: true, page: "pears/index.html", wantInPage: "Pears are green."},
		{name: "one note edited", change: func() { edit(t, s, "pears", "Pears are yellow.\n") }, rendered: 1, reused: 2,
			page: "pears/index.html", wantInPage: "Pears are yellow."},
		{name: "one note added", change: func() { edit(t, s, "plums", "Plums are purple.\n") }, rendered: 2, reused: 2,
			page: "index.html", wantInPage: "apples pears plums"},
	} {
		step.change()
		rep, err := BuildDir(ctx, s, BuildOptions{BuildKey: "k"})
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if rep.Rendered != step.rendered || rep.Reused != step.reused || rep.Unchanged != step.unchanged {
			t.Errorf("%s: rendered %d, reused %d, unchanged %v; want %d, %d, %v", step.name,
				rep.Rendered, rep.Reused, rep.Unchanged, step.rendered, step.reused, step.unchanged)
		}
		data, err := os.ReadFile(filepath.Join(s.Root, "dist", step.page))
		if err != nil || !strings.Contains(string(data), step.wantInPage) {
			t.Errorf("%s: %s = %q, %v; want it to hold %q", step.name, step.page, data, err, step.wantInPage)
		}
	}
}

// The dev build runs the same pipeline in memory: an edit re-renders the
// pages that read the note, and reports them changed; and every page has
// the bytes the build to disk writes.
func TestDevBuildRedoesOnlyWhatChangedAndMatchesTheDisk(t *testing.T) {
	s := testSite(t)
	ctx := context.Background()
	d := NewDevBuilder(s, "k")
	defer d.Close()
	first := d.Build(ctx, nil, NewChangeSet(true), nil)
	if first.Build == nil {
		t.Fatalf("first build failed: %v", first.Errs)
	}
	if len(first.Rendered) != 3 {
		t.Errorf("first build rendered %v, want all 3 pages", first.Rendered)
	}
	ch := NewChangeSet(false)
	ch.Paths[edit(t, s, "apples", "Apples are green too.\n")] = true
	next := d.Build(ctx, first.Build, ch, nil)
	if next.Build == nil {
		t.Fatalf("rebuild failed: %v", next.Errs)
	}
	if !slices.Equal(next.Rendered, []string{"/apples/index.html"}) || !slices.Equal(next.Changed, []string{"/apples/"}) {
		t.Errorf("rebuild rendered %v and changed %v; want only /apples/", next.Rendered, next.Changed)
	}
	if _, err := BuildDir(ctx, s, BuildOptions{BuildKey: "k"}); err != nil {
		t.Fatal(err)
	}
	for p, pg := range next.Build.Pages() {
		disk, err := os.ReadFile(inDir(filepath.Join(s.Root, "dist"), p))
		if err != nil || string(disk) != string(pg.HTML) {
			t.Errorf("%s: in memory %q, on disk %q (%v)", p, pg.HTML, disk, err)
		}
	}
}

// A failing stage stops the pipeline with every problem it found, and the
// output is left as it was.
func TestBuildStopsAtTheFailingStage(t *testing.T) {
	s := testSite(t)
	ctx := context.Background()
	if _, err := BuildDir(ctx, s, BuildOptions{BuildKey: "k"}); err != nil {
		t.Fatal(err)
	}
	s.DeclErrs = []*diag.Diagnostic{{File: "main.go", Line: 3, Msg: "bad route"}}
	edit(t, s, "pears", "Pears are brown.\n")
	_, err := BuildDir(ctx, s, BuildOptions{BuildKey: "k"})
	var l *diag.List
	if !errors.As(err, &l) || l.Len() != 1 {
		t.Fatalf("err = %v, want the one declaration error", err)
	}
	data, _ := os.ReadFile(filepath.Join(s.Root, "dist", "pears", "index.html"))
	if !strings.Contains(string(data), "Pears are green.") {
		t.Errorf("a failed build changed the output: %q", data)
	}
	d := NewDevBuilder(s, "k")
	defer d.Close()
	if res := d.Build(ctx, nil, NewChangeSet(true), nil); res.Build != nil || res.Errs.Len() != 1 {
		t.Errorf("dev build with a declaration error: build %v, errors %v", res.Build, res.Errs)
	}
}

// The dev build's link check answers as the disk build's does: a page is
// served at its directory URL and at its index.html, and nothing else is.
func TestDevBuildServesWhatTheDiskBuildServes(t *testing.T) {
	s := testSite(t)
	d := NewDevBuilder(s, "k")
	defer d.Close()
	res := d.Build(context.Background(), nil, NewChangeSet(true), nil)
	if res.Build == nil {
		t.Fatalf("build failed: %v", res.Errs)
	}
	for _, c := range []struct {
		path string
		want bool
	}{
		{"/apples/", true},
		{"/apples/index.html", true},
		{"/", true},
		{"/index.html", true},
		{"/plums/", false},
		{"/apples/index.htm", false},
	} {
		if got := res.Build.serves(c.path); got != c.want {
			t.Errorf("serves(%q) = %v, want %v", c.path, got, c.want)
		}
	}
}
