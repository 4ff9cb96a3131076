package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/examples"
	"github.com/vergehq/verge/internal/childproc"
)

// blogImport is the import path the blog example's own packages use; a
// scaffolded site gets its module path instead.
const blogImport = "github.com/vergehq/verge/examples/blog"

func newNewCmd() *cobra.Command {
	var module string
	cmd := &cobra.Command{
		Use:   "new DIR",
		Short: "Create a new site in DIR from the blog example",
		Long: `New writes a working site into DIR (which must not exist or be empty): the
blog example with its own go.mod. While Verge is unpublished, go.mod replaces
github.com/vergehq/verge with this Verge checkout. Build it with
'verge build DIR'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if module == "" {
				module = path.Base(filepath.ToSlash(absOr(dir)))
			}
			if err := scaffold(dir, module); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s (module %s)\nnext: verge build %s\n", dir, module, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&module, "module", "", "Go module path of the new site (default: DIR's name)")
	return cmd
}

func scaffold(dir, module string) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty: choose a new directory", dir)
	}
	src, err := vergeSource()
	if err != nil {
		return err
	}
	blog, err := fs.Sub(examples.Blog, "blog")
	if err != nil {
		return err
	}
	err = fs.WalkDir(blog, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(blog, p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".templ") {
			data = bytes.ReplaceAll(data, []byte(blogImport), []byte(module))
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return err
	}
	gomod := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire github.com/vergehq/verge v0.0.0-00010101000000-000000000000\n\n// Verge is unpublished: build against the local checkout.\nreplace github.com/vergehq/verge => %s\n", module, src)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	// go.sum starts as Verge's own (a superset of what the site needs);
	// tidy then settles go.mod's requirements.
	if sum, err := os.ReadFile(filepath.Join(src, "go.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
			return err
		}
	}
	// The generated *_templ.go files come along (and are not ignored) so
	// that `go run . build` works before the first `verge build`.
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("/dist/\n/.verge/\n"), 0o644); err != nil {
		return err
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := childproc.CombinedOutput(tidy); err != nil {
		return fmt.Errorf("go mod tidy in %s: %v\n%s", dir, err, out)
	}
	return nil
}

// vergeSource finds the Verge checkout this binary was built from, which a
// new site's go.mod points at. $VERGE_SRC overrides it.
func vergeSource() (string, error) {
	if s := os.Getenv("VERGE_SRC"); s != "" {
		return filepath.Abs(s)
	}
	_, file, _, ok := runtime.Caller(0)
	if ok {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil && bytes.Contains(data, []byte("module github.com/vergehq/verge\n")) {
			return filepath.Abs(root)
		}
	}
	return "", fmt.Errorf("cannot find the Verge source checkout this verge was built from: set VERGE_SRC to it")
}
