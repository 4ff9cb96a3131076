package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIsOwnFile(t *testing.T) {
	for _, c := range []struct {
		path string
		own  bool
	}{
		{"/_headers", true},
		{"/_redirects", true},
		{"/_verge/manifest.json", true},
		{"/_verge/cloudflare-build.json.gz", true},
		{"/index.html", false},
		{"/_vergeous/index.html", false},
		{"/posts/_headers", false},
		{"/_assets/app-1234.js", false},
	} {
		if got := IsOwnFile(c.path); got != c.own {
			t.Errorf("IsOwnFile(%q) = %v, want %v", c.path, got, c.own)
		}
	}
}

func TestReadTagVersions(t *testing.T) {
	for _, c := range []struct {
		name string
		file string // "" : no versions.json
		want map[string]string
	}{
		{"absent", "", nil},
		{"present", `{"e:posts/a":"v1","c:posts":"v2"}`, map[string]string{"e:posts/a": "v1", "c:posts": "v2"}},
		{"not JSON", `{"e:posts/a":`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.file != "" {
				p := filepath.Join(dir, filepath.FromSlash(VersionsPath))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := ReadTagVersions(dir); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ReadTagVersions = %v, want %v", got, c.want)
			}
		})
	}
}

// Write's manifest is what Read reads back, with the bytes Encode makes.
func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{Schema: SchemaVersion, BuildID: "b1", Site: SiteInfo{Title: "T"},
		Files: []File{{Path: "/index.html", Kind: KindPage, Size: 3, SHA256: "abc", Tags: []string{"e:posts/a"}}}}
	if err := Write(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Functions = []Function{} // Encode writes an empty list, not null
	if !reflect.DeepEqual(got, m) {
		t.Errorf("read back %+v, want %+v", got, m)
	}
	want, _ := m.Encode()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(Path)))
	if err != nil || string(data) != string(want) {
		t.Errorf("on disk %q (%v), want %q", data, err, want)
	}
	if info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(Path))); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", info.Mode(), err)
	}
}
