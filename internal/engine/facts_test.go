package engine

import (
	"hash/fnv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

func TestFactsFileRoundTrip(t *testing.T) {
	type page struct {
		route string
		facts Facts
	}
	pages := []page{
		{"/", Facts{
			{FactKey{SiteTag, ""}, 1},
			{FactKey{"c:posts", "first:5"}, 0xffffffffffffffff},
			{FactKey{"e:#0123abcd", "title"}, 42}, // a hashed tag holds '#'
		}},
		{"/posts/a b/", Facts{{FactKey{"t:tags/go", "slice:0:20:20"}, 7}}},
		{"/empty/", nil},
	}
	// writeFile streams a build's pages as a build does: those rendered
	// (facts) as they finish, here last first, and those kept (planned,
	// with their records) in their place. It returns the directory the
	// file is in, as an output directory.
	var files [][]byte // each file written, in order
	writeFile := func(rendered []page, planned []*renderedPage) string {
		w := newOutWriter(filepath.Join(t.TempDir(), "dist"))
		t.Cleanup(w.abort)
		s := newFactsStream(w, planned)
		for i := len(rendered) - 1; i >= 0; i-- { // out of order, as workers may finish
			if pg := rendered[i]; pg.route != "" {
				s.add(i, pg.route, pg.facts)
			}
		}
		if err := s.close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(w.tmp, filepath.FromSlash(manifest.FactsPath)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
		return w.tmp
	}
	got := readFactsFile(writeFile(pages, make([]*renderedPage, len(pages))))
	if len(got) != len(pages) {
		t.Fatalf("read %d pages, want %d", len(got), len(pages))
	}
	var kept []*renderedPage
	for _, pg := range pages {
		raw, ok := got[pg.route]
		if !ok {
			t.Fatalf("no record of %s", pg.route)
		}
		fs, err := parseFacts(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fs, pg.facts) {
			t.Errorf("%s: read %v, want %v", pg.route, fs, pg.facts)
		}
		kept = append(kept, &renderedPage{job: PageJob{Route: pg.route}, record: raw})
	}
	// A kept page's record is written back as it was read, in order.
	if again := readFactsFile(writeFile(nil, kept)); !reflect.DeepEqual(again, got) {
		t.Errorf("kept records re-read as %q, want %q", again, got)
	}
	if string(files[0]) != string(files[1]) {
		t.Errorf("the file of kept pages is\n%s\nwant the file they were read from\n%s", files[1], files[0])
	}
	for _, bad := range []string{"e:x title", "e:x title zz", "nospaces"} {
		if _, err := parseFacts([]byte(bad + "\n")); err == nil {
			t.Errorf("parseFacts(%q) accepted a malformed line", bad)
		}
	}
}

// A fact holds without a look when its tag kept its version, and is
// asked for otherwise; a tag no build versions never holds.
func TestStillHold(t *testing.T) {
	b := &Build{SiteVersion: "s1", states: map[any]any{}}
	b.versionsOnce.Do(func() { b.versionMap = map[string]string{SiteTag: "s1", "e:a": "v2", "d:x": "d1"} })
	was := func(m map[string]string) func(string) (string, bool) {
		return func(t string) (string, bool) { v, ok := m[t]; return v, ok }
	}
	old := map[string]string{SiteTag: "s1", "e:a": "v1", "d:x": "d1"}
	for _, tc := range []struct {
		name  string
		facts Facts
		want  bool
	}{
		{"tag unchanged", Facts{{FactKey{"d:x", "value"}, 99}}, true},
		{"whole tag changed", Facts{{FactKey{"e:a", ""}, Hash("v1")}}, false},
		{"whole tag as now", Facts{{FactKey{"e:a", ""}, Hash("v2")}}, true},
		{"part of a changed tag no source knows", Facts{{FactKey{"e:a", "title"}, 1}}, false},
		{"unversioned tag (Ctx.Depend)", Facts{{FactKey{"x:mine", ""}, 1}}, false},
	} {
		if got := stillHold(b, tc.facts, was(old), b.now); got != tc.want {
			t.Errorf("%s: stillHold = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Hash is FNV-1a as hash/fnv computes it, parts each followed by a zero
// byte: versions recorded by earlier builds stay comparable.
func TestHashIsFNV1a(t *testing.T) {
	for _, parts := range [][]string{nil, {""}, {"a"}, {"a", ""}, {"title", "Hello, 世界"}, {"x", "y", "z"}} {
		h := fnv.New64a()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		if got := Hash(parts...); got != h.Sum64() {
			t.Errorf("Hash(%q) = %x, want %x", parts, got, h.Sum64())
		}
		b := fnv.New64a()
		b.Write([]byte(strings.Join(parts, "")))
		if got := HashBytes([]byte(strings.Join(parts, ""))); got != b.Sum64() {
			t.Errorf("HashBytes(%q) = %x, want %x", strings.Join(parts, ""), got, b.Sum64())
		}
	}
}
