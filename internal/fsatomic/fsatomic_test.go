package fsatomic

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSwapDir(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		dst, next := filepath.Join(dir, "dist"), filepath.Join(dir, "next")
		if existing {
			mustWrite(t, filepath.Join(dst, "old.html"), "old")
		}
		mustWrite(t, filepath.Join(next, "new.html"), "new")
		if err := SwapDir(next, dst); err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile(filepath.Join(dst, "new.html")); err != nil || string(data) != "new" {
			t.Errorf("existing=%v: dst/new.html = %q, %v", existing, data, err)
		}
		if _, err := os.Stat(filepath.Join(dst, "old.html")); err == nil {
			t.Errorf("existing=%v: old content still in dst", existing)
		}
		if existing {
			// The old content is handed back in next, for the caller to remove.
			if data, _ := os.ReadFile(filepath.Join(next, "old.html")); string(data) != "old" {
				t.Error("old content not moved to next")
			}
		}
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b.json")
	for _, content := range []string{"one", "two"} {
		if err := WriteFile(p, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(p); string(data) != content {
			t.Errorf("got %q, want %q", data, content)
		}
		// Readable by a web server running as another user.
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v (%v), want 0644", st.Mode().Perm(), err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
