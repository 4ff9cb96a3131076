package gosite

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/vergehq/verge/internal/diag"
)

// extract unpacks testdata/name into a fresh temporary directory and
// returns it.
func extract(t testing.TB, name string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		writeFile(t, filepath.Join(dir, f.Name), string(f.Data))
	}
	return dir
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// diags returns the diagnostics in err, failing the test when err is not a
// *diag.List.
func diags(t testing.TB, err error) []*diag.Diagnostic {
	t.Helper()
	var l *diag.List
	if !errors.As(err, &l) {
		t.Fatalf("error is %T, want *diag.List: %v", err, err)
	}
	return l.Items()
}

// wantDiag is a diagnostic a test expects: Col 0 means any column.
type wantDiag struct {
	file      string
	line, col int
	msg       string // substring of Msg
	hint      string // substring of Hint; "" means any
}

func checkDiags(t testing.TB, err error, want []wantDiag) {
	t.Helper()
	got := diags(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.File != w.file || g.Line != w.line || (w.col != 0 && g.Col != w.col) ||
			!strings.Contains(g.Msg, w.msg) || !strings.Contains(g.Hint, w.hint) {
			t.Errorf("diagnostic %d = %s:%d:%d %q (hint %q), want %s:%d:%d containing %q (hint %q)",
				i, g.File, g.Line, g.Col, g.Msg, g.Hint, w.file, w.line, w.col, w.msg, w.hint)
		}
	}
}

func TestMain(m *testing.M) {
	// Keep the generation memo (and anything else under the user cache
	// directory) out of the real one.
	tmp, err := os.MkdirTemp("", "gosite-cache-")
	if err != nil {
		panic(err)
	}
	// os.UserCacheDir honours XDG_CACHE_HOME on Linux and the BSDs. The go
	// command's build cache lives there too by default: pin it first, or
	// every test compile would start cold.
	if gocache, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil && os.Getenv("GOCACHE") == "" {
		os.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	}
	os.Setenv("XDG_CACHE_HOME", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// forgetMemo deletes every generation memo, so the next Generate takes
// the full path (parse, generate, compare with disk).
func forgetMemo(t *testing.T) {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(base, "verge", "gen")); err != nil {
		t.Fatal(err)
	}
}
