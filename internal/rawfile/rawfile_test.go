package rawfile_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/vergehq/verge/internal/rawfile"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 1 << 20} {
		data := bytes.Repeat([]byte("verge"), size/5+1)[:size]
		p := filepath.Join(dir, "f")
		if err := rawfile.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := rawfile.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: read %d bytes back", size, len(got))
		}
		// The mode is what os.WriteFile gives under the same umask.
		ref := filepath.Join(dir, "ref")
		if err := os.WriteFile(ref, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		want, _ := os.Stat(ref)
		if st.Mode() != want.Mode() {
			t.Errorf("mode %v, want %v", st.Mode(), want.Mode())
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := rawfile.ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
	if _, err := rawfile.ReadFile(dir); err == nil {
		t.Error("reading a directory succeeded")
	}
	if err := rawfile.WriteFile(filepath.Join(dir, "no", "such"), nil, 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write under a missing directory: %v, want ErrNotExist", err)
	}
}
