package engine

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The program key's memo is used only while stat shows the very file it
// hashed: an executable rebuilt in place, or replaced by another with its
// size and times copied, is hashed again.
func TestProgramKeyMemo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	put := func(p, text string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "site")
	put(exe, "program one")
	settle()
	first, err := memoFileHash(exe)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := fileHash(exe); first != want {
		t.Fatalf("key %s, want the file's hash %s", first, want)
	}
	// The memo is what answers now: a forged key in it is believed, which
	// shows the file is not read again.
	memo := programMemoPath(exe)
	data, err := os.ReadFile(memo)
	if err != nil {
		t.Fatalf("no memo written: %v", err)
	}
	forged := []byte(string(data[:len(data)-len(first)-1]) + "forged\n")
	if err := os.WriteFile(memo, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := memoFileHash(exe); got != "forged" {
		t.Fatalf("with the file unchanged, key %s; want the memo's", got)
	}
	for _, c := range []struct {
		name string
		edit func()
	}{
		{"rebuilt in place, same size and times", func() { put(exe, "program two") }},
		{"replaced by rename, same size and times", func() {
			tmp := filepath.Join(dir, "site.new")
			put(tmp, "program 333")
			if err := os.Rename(tmp, exe); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		c.edit()
		got, err := memoFileHash(exe)
		want, _ := fileHash(exe)
		if err != nil || got != want || got == "forged" {
			t.Errorf("%s: key %s, %v; want the new file's hash %s", c.name, got, err, want)
		}
	}
}
