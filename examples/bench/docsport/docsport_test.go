package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/vergehq/verge/examples/hugodocs/docs"
	"github.com/vergehq/verge/site"
)

// fixture packs testdata/hugo-docs.txtar as the corpus archive is packed,
// converts it, and returns the converted site's root.
func fixture(t *testing.T) (string, *convertStats) {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "hugo-docs.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range ar.Files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "docs.tar.gz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	hugo, root := filepath.Join(dir, "hugo"), filepath.Join(dir, "site")
	if err := unpack(archive, hugo); err != nil {
		t.Fatal(err)
	}
	st, err := convert(hugo, root, css)
	if err != nil {
		t.Fatal(err)
	}
	return root, st
}

// build builds the converted site at root with the site program's
// declarations, in this process, and returns its pages' hashes.
func build(t *testing.T, root string) map[string]string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := site.Run(context.Background(), declare(root), []string{"build", "--json", "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("build exited %d:\n%s", code, stderr.String())
	}
	sums, err := pageSums(filepath.Join(root, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func declare(root string) *site.Site {
	s := site.NewAt(root)
	docs.Declare(s)
	return s
}

func TestConvertCounts(t *testing.T) {
	_, st := fixture(t)
	got := []int{st.Docs, st.Sections, st.Home, st.Glossary, st.Resources, st.Redirects}
	want := []int{9, 6, 1, 2, 1, 3} // documentation and broken, 4 in strings, 3 in about (the Intro bundle one); functions, strings, about, quick-reference, glossary, news
	if !slices.Equal(got, want) {
		t.Errorf("docs, sections, home, glossary, images, redirects = %v, want %v", got, want)
	}
	for reason, n := range map[string]int{"headless": 1, "content adapter": 1, "cannot decode": 1} {
		found := 0
		for k, v := range st.Dropped {
			if strings.Contains(k, reason) {
				found += v
			}
		}
		for k, v := range st.Noted {
			if strings.Contains(k, reason) {
				found += v
			}
		}
		if found != n {
			t.Errorf("dropped or noted as %q: %d, want %d (%v, %v)", reason, found, n, st.Dropped, st.Noted)
		}
	}
}

func TestPortBuilds(t *testing.T) {
	root, _ := fixture(t)
	build(t, root)
	dist := filepath.Join(root, "dist")
	for _, tc := range []struct {
		file string
		want []string // substrings the file must hold
	}{
		{"index.html", []string{"fastest framework", `href=/about/>About</a>`, `href=/functions/>Functions</a>`, `href=/news/>News</a>`}},
		{"functions/strings/contains/index.html", []string{
			`<a href=/functions/strings/>strings</a>`,                       // the sidebar's section
			`href=/functions/strings/hasprefix/>strings.HasPrefix</a>`,      // and its pages, by weight then title
			`<a href=/functions/strings/contains/ aria-current=page>`,       // the page itself marked
			`rel=prev href=/functions/strings/trim/>`,                       // weight 5 sorts first
			`rel=next href=/functions/strings/hasprefix/>`,                  // then by title
			"strings.Contains STRING SUBSTRING", `href=/keywords/strings/>`, // front matter through Meta
		}},
		{"functions/strings/index.html", []string{"String functions", "Use strings.HasPrefix to test the start of a string"}},
		{"functions/index.html", []string{`href=/functions/strings/>strings</a>`}},
		{"about/intro/index.html", []string{`src=diagram.png`, `href=/about/license/>License</a>`}},
		{"about/intro/diagram.png", []string{"not really a png"}},
		{"documentation/index.html", []string{"Welcome to the documentation."}},
		{"broken/index.html", []string{"<title>A page with a bad weight | Hugo", "Its body survives."}},
		{"quick-reference/glossary/index.html", []string{"numbered sequence", "variable-length sequence", "go.dev/ref/spec#Array_types"}},
		{"keywords/index.html", []string{`href=/keywords/strings/>strings</a>`}},
		{"keywords/strings/index.html", []string{"The check is case sensitive."}},
		{"_redirects", []string{"/functions/strings.contains /functions/strings/contains/ 301", "/layout/functions/ /functions/ 301", "/old-broken/ /broken/ 301"}},
	} {
		data, err := os.ReadFile(filepath.Join(dist, tc.file))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(string(data), w) {
				t.Errorf("%s lacks %q", tc.file, w)
			}
		}
	}
	for _, gone := range []string{"functions/strings/_index", "_common", "quick-reference/glossary/array", "news/release"} {
		if _, err := os.Stat(filepath.Join(dist, gone)); err == nil {
			t.Errorf("%s/%s exists; the port should not make it", dist, gone)
		}
	}
}

// TestEdits checks each edit changes the pages it is meant to: an edit of
// the last paragraph leaves the summary on the section page as it was, an
// edit of the first one changes it, a title shows on the sidebars.
func TestEdits(t *testing.T) {
	root, _ := fixture(t)
	big, small, err := pickTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	if big.ID != "functions/strings/hasprefix" || small.ID != "about/license" {
		t.Fatalf("picked %q and %q, want functions/strings/hasprefix and about/license", big.ID, small.ID)
	}
	prev := build(t, root)
	for _, tc := range []struct {
		name string
		edit func(target) error
		want []string // the pages whose bytes change
	}{
		{"last paragraph", appendToLastParagraph, []string{"/functions/strings/hasprefix/"}},
		{"first paragraph", changeFirstParagraph, []string{"/functions/strings/", "/functions/strings/hasprefix/"}},
		{"title", retitle, []string{"/functions/strings/", "/functions/strings/contains/", "/functions/strings/hasprefix/", "/functions/strings/toupper/", "/functions/strings/trim/"}},
		{"new page", func(t target) error { _, err := addPage(t); return err },
			[]string{"/functions/strings/", "/functions/strings/contains/", "/functions/strings/hasprefix/", "/functions/strings/toupper/", "/functions/strings/trim/", "/functions/strings/verge-new-page/"}},
	} {
		if err := tc.edit(big); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		next := build(t, root)
		if got := changedPages(prev, next); !slices.Equal(got, tc.want) {
			t.Errorf("%s: pages changed %v, want %v", tc.name, got, tc.want)
		}
		prev = next
	}
	page, err := os.ReadFile(filepath.Join(root, "dist", "functions", "strings", "hasprefix", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<title>strings.HasPrefix (revised) | Hugo", "like every function here. One more sentence, added at the end.", "a common first step, as revised."} {
		if !strings.Contains(string(page), w) {
			t.Errorf("the edited page lacks %q", w)
		}
	}
}
