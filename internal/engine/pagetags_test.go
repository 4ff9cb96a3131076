package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

// wideRead is a route whose one page reads n tags, as a sidebar listing
// every entry of a large section does.
type wideRead struct {
	route string
	n     int
}

func (r wideRead) Input(*Build) any { return r.n }

func (r wideRead) Expand(*Build) []PageJob {
	return []PageJob{{Route: r.route, Source: "wide", Decl: "test", Render: func(_ context.Context, rec *Recorder, w io.Writer) error {
		for i := range r.n {
			rec.Read(fmt.Sprintf("e:docs/section-%03d/entry-%05d", i%100, i), "1")
		}
		_, err := io.WriteString(w, "<!doctype html><html><head><title>wide</title></head><body>wide</body></html>")
		return err
	}}}
}

// A page that read 50,000 entries keeps every one in its Tags, and its
// Cache-Tag header names the page and its groups alone: small, the same
// as any page's at that route, never a tag covering other pages' content.
func TestCacheTagOfAPageThatReadEverything(t *testing.T) {
	s := testSite(t)
	route := "/docs/" + strings.Repeat("deep/", 20) + "page/"
	s.Routes = append(s.Routes, wideRead{route: route, n: 50000})
	if _, err := BuildDir(context.Background(), s, BuildOptions{BuildKey: "k"}); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Read(filepath.Join(s.Root, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	var f *manifest.File
	for i := range m.Files {
		if m.Files[i].Route == route {
			f = &m.Files[i]
		}
	}
	if f == nil {
		t.Fatalf("no page at %s", route)
	}
	if len(f.Tags) < 50000 {
		t.Errorf("Tags has %d entries, want the 50,000 read and the site tag", len(f.Tags))
	}
	header := strings.Join(f.HeaderTags(), ",")
	if !slices.Equal(f.HeaderTags(), manifest.PageTags(route)) || len(header) > 2048 {
		t.Errorf("Cache-Tag is %d bytes: %.200s; want PageTags(%s)", len(header), header, route)
	}
	for _, tag := range f.HeaderTags() {
		if !manifest.IsPageTag(tag) {
			t.Errorf("Cache-Tag carries %q, a tag that is not a page tag", tag)
		}
	}
	hdr, err := os.ReadFile(filepath.Join(s.Root, "dist", "_headers"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(hdr), "\n") {
		if len(line) > 2048 {
			t.Errorf("_headers has a %d-byte line", len(line))
		}
	}
}
