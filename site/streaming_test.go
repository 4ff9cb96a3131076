package site_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/site"
)

// A build to disk lets go of an entry's Markdown once converted and holds
// its HTML only weakly; a page that reads the body again after it was
// collected gets the same HTML, read again from the file, and a file
// edited in the middle of the build fails the build, naming it, rather
// than mixing two versions into one output.
func TestBodyReadAgainAfterItWasCollected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		between func(t *testing.T, file string) // run between the two reads
		wantErr string
	}{
		{"unchanged file", func(*testing.T, string) {}, ""},
		{"file edited during the build", func(t *testing.T, file string) {
			writeFile(t, file, "---\ntitle: One\n---\nAn edited body.\n")
		}, "content/posts/one.md changed while the site was building: build again"},
		{"file removed during the build", func(t *testing.T, file string) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		}, "read content/posts/one.md again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "content", "posts", "one.md")
			writeFile(t, filepath.Join(dir, "verge.toml"), "title = \"t\"\n")
			writeFile(t, file, "---\ntitle: One\n---\nThe *first* body,\n\nin two paragraphs.\n")
			s := site.NewAt(dir)
			posts := site.Markdown[struct{}](s, "posts")
			s.Page("/twice/", func(c *site.Ctx) (templ.Component, error) {
				e := posts.All(c)[0]
				first, err := e.HTML(c) // converts, and lets go of the Markdown
				if err != nil {
					return nil, err
				}
				tc.between(t, file)
				runtime.GC() // the HTML is held by no one: collected
				runtime.GC()
				again, err := e.HTML(c)
				if err != nil {
					return nil, err
				}
				if again != first {
					t.Errorf("read again as %q, want %q", again, first)
				}
				return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
					_, err := io.WriteString(w, "<!doctype html><title>t</title>"+first+again)
					return err
				}), nil
			})
			out := filepath.Join(dir, "dist")
			_, err := s.Build(context.Background(), site.BuildOptions{OutDir: out, BuildKey: "test"})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := readOut(t, out, "twice/index.html"); strings.Count(got, "<em>first</em>") != 2 {
					t.Errorf("page is %q, want the body twice", got)
				}
				return
			}
			var be *site.BuildError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("build error %v, want one saying %q", err, tc.wantErr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a failed build left %s: %v", out, err)
			}
		})
	}
}
