package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/manifest"
)

// Records are kept by build id, the newest keepRecords of them, and
// found again by the build a version holds (or, an older Verge's, by
// its version ID).
func TestCloudflareRecords(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	var ids []string
	for i := range keepRecords + 2 {
		out := t.TempDir()
		m := writeBuild(t, out, map[string]page{"/index.html": {body: fmt.Sprint("home ", i), tags: []string{"e:home"}}},
			map[string]string{"e:home": fmt.Sprint("v", i)})
		version := ""
		if i%2 == 0 {
			version = fmt.Sprint("ver-", i)
		}
		if err := saveCloudflareRecord(l, m.BuildID, version, out); err != nil {
			t.Fatal(err)
		}
		// Distinct modification times, oldest first.
		old := time.Now().Add(time.Duration(i-100) * time.Second)
		os.Chtimes(filepath.Join(l.CloudflareBuilds(), m.BuildID), old, old)
		ids = append(ids, m.BuildID)
	}
	ents, err := os.ReadDir(l.CloudflareBuilds())
	if err != nil || len(ents) != keepRecords {
		t.Fatalf("%d records kept (%v), want %d", len(ents), err, keepRecords)
	}
	for _, c := range []struct {
		name  string
		v     *cloudflare.Version
		found bool
		tv    string
	}{
		{"newest by build", &cloudflare.Version{ID: "x", BuildID: ids[len(ids)-1]}, true, fmt.Sprint("v", len(ids)-1)},
		{"no such build", &cloudflare.Version{ID: "x", BuildID: "nope"}, false, ""},
		{"no version", nil, false, ""},
		{"path tricks", &cloudflare.Version{ID: "../x", BuildID: "../../etc"}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, ok := loadCloudflareRecord(l, c.v)
			if ok != c.found {
				t.Fatalf("found %v, want %v", ok, c.found)
			}
			if ok && b.Versions["e:home"] != c.tv {
				t.Errorf("tag versions %v, want e:home %s", b.Versions, c.tv)
			}
		})
	}
	rec, name := latestCloudflareRecord(l)
	if rec == nil || rec.Manifest.BuildID != ids[len(ids)-1] || name != fmt.Sprint("ver-", len(ids)-1) && name != "build "+short(ids[len(ids)-1]) {
		t.Errorf("latest record %v named %q", rec, name)
	}
	if err := saveCloudflareRecord(l, "../evil", "", t.TempDir()); err == nil {
		t.Error("a build id with a path in it was taken")
	}
	if rec, _ := latestCloudflareRecord(Layout{Root: t.TempDir()}); rec != nil {
		t.Error("a record where none was kept")
	}
}

// A build recorded for the site decodes to what compactBuild makes of
// it, so a plan between the two finds no change.
func TestSiteRecord(t *testing.T) {
	out := t.TempDir()
	m := writeBuild(t, out, map[string]page{
		"/index.html":         {body: "home", tags: []string{"c:posts", "m:posts/a"}},
		"/posts/a/index.html": {body: "a", tags: []string{"e:posts/a"}},
		"/about/index.html":   {body: "about"},
	}, map[string]string{"c:posts": "0123456789abcdef0123", "e:posts/a": "fedcba9876543210fedc"})
	b := readNext(out, m)
	data, err := encodeSiteRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	id, back, err := decodeSiteRecord(data)
	if err != nil || id != m.BuildID {
		t.Fatalf("decoded id %q, %v", id, err)
	}
	compact := compactBuild(b)
	if !reflect.DeepEqual(back.Versions, compact.Versions) {
		t.Errorf("versions %v, want %v", back.Versions, compact.Versions)
	}
	byURL := map[string]manifest.File{}
	for _, f := range compact.Manifest.Files {
		byURL[f.URL()] = f
	}
	if len(back.Manifest.Files) != len(byURL) {
		t.Errorf("%d files decoded, want %d", len(back.Manifest.Files), len(byURL))
	}
	for i, f := range back.Manifest.Files {
		want := byURL[f.Path]
		if f.Path != want.URL() || f.SHA256 != want.SHA256 || f.AssetHash != want.AssetHash || !reflect.DeepEqual(f.HeaderTags(), want.HeaderTags()) {
			t.Errorf("file %d: %+v, want %+v", i, f, want)
		}
	}
	if len(compact.Manifest.Files[0].SHA256) != recordSHA || len(b.Manifest.Files[0].SHA256) != 64 {
		t.Error("compactBuild must shorten a copy, not the build")
	}
	plan := cachepurge.New(back, compact, cloudflareLimits)
	if plan.Everything || plan.Requests() != 0 {
		t.Errorf("a build against its own record plans %+v", plan)
	}
	if _, _, err := decodeSiteRecord([]byte("not gzip")); err == nil {
		t.Error("a broken record decoded")
	}
}
