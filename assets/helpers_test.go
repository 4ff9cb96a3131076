package assets

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vergehq/verge/internal/diag"
)

// writeTree writes files (slash paths relative to a fresh root) and
// returns the root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, files)
	return root
}

func writeFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		abs := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// siteOptions are the options of a site laid out by convention under root.
func siteOptions(root string) Options {
	return Options{Root: root, AssetsDir: filepath.Join(root, "assets"), StaticDir: filepath.Join(root, "static")}
}

func mustBuild(t *testing.T, opts Options) *Result {
	t.Helper()
	r, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return r
}

func mustLookup(t *testing.T, r *Result, logical string) *File {
	t.Helper()
	f, ok := r.Lookup(logical)
	if !ok {
		t.Fatalf("Lookup(%q): not found; files: %v", logical, paths(r))
	}
	return f
}

func paths(r *Result) []string {
	var out []string
	for _, f := range r.Files {
		out = append(out, f.Path)
	}
	return out
}

func byPath(r *Result, p string) *File {
	for _, f := range r.Files {
		if f.Path == p {
			return f
		}
	}
	return nil
}

// diagnostics returns the diagnostics err carries, failing if it carries
// none.
func diagnostics(t *testing.T, err error) []*diag.Diagnostic {
	t.Helper()
	var l *diag.List
	if errors.As(err, &l) {
		return l.Items()
	}
	var d *diag.Diagnostic
	if errors.As(err, &d) {
		return []*diag.Diagnostic{d}
	}
	t.Fatalf("want diagnostics, got %T %v", err, err)
	return nil
}

func sri(data []byte) string {
	s := sha512.Sum384(data)
	return "sha384-" + base64.StdEncoding.EncodeToString(s[:])
}
