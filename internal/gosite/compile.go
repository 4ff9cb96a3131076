package gosite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/diag"
)

// keepBinaries is how many site binaries a cache directory keeps: enough to
// switch between a couple of branches without rebuilding.
const keepBinaries = 3

// exeSuffix is what the go command appends to executables on this system.
var exeSuffix = map[bool]string{true: ".exe"}[runtime.GOOS == "windows"]

// buildArgs is the go build command line, minus the go binary. It goes into
// the cache key, so a change to it invalidates every cached binary.
func buildArgs(out string) []string {
	return []string{"build", "-o", out, "."}
}

// CacheDir returns the directory Compile should keep dir's binaries in:
// os.UserCacheDir()/verge/bin/<short hash of dir's absolute path>. One
// directory per site keeps pruning from evicting another site's binaries.
func CacheDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(base, "verge", "bin", hex.EncodeToString(sum[:])[:16]), nil
}

// Compile builds the site's main package in dir into a binary under cacheDir
// and returns its path. It skips `go build` when nothing that goes into the
// binary changed since a cached build: the cache key hashes every source
// file of the site module, go.mod, go.sum, the sources (and go.mod/go.sum)
// of every local `replace` target and go.work module, files named by
// //go:embed, the toolchain (GOVERSION, GOOS, GOARCH, GOFLAGS, CGO_ENABLED
// and related settings, from one `go env` run) and the build flags. Cached
// binaries are named by key; the cache keeps the 3 most recently used.
// Building writes to a temporary name and renames, so a concurrent caller
// never runs a partial binary.
//
// Run Generate first: Compile builds whatever _templ.go files are on disk.
//
// A compile error is returned as a *diag.List with one Diagnostic per error
// line of `go build`, located relative to dir; positions inside a Go
// expression of an X_templ.go are mapped back to X.templ, other positions in
// generated code are reported on X_templ.go with a hint naming X.templ.
// Module problems (a missing go.sum entry, say) become a diagnostic on
// go.mod.
func Compile(ctx context.Context, dir, cacheDir string) (bin string, err error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if cacheDir, err = filepath.Abs(cacheDir); err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", asList(&diag.Diagnostic{Msg: "the go command was not found",
			Hint: "install Go (https://go.dev/dl/) and put it on PATH: a site is compiled with it"})
	}
	key, err := buildKey(ctx, goBin, root)
	if err != nil {
		return "", asList(err)
	}
	bin = filepath.Join(cacheDir, key+exeSuffix)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		// Touching it marks it recently used, for pruning.
		now := time.Now()
		_ = os.Chtimes(bin, now, now)
		return bin, nil
	}

	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmpDir, err := os.MkdirTemp(cacheDir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpDir)
	// A fresh directory rather than a temporary file: go build then owns
	// the name, and what a killed build leaves behind is easy to recognise.
	tmp := filepath.Join(tmpDir, "site"+exeSuffix)
	cmd := exec.CommandContext(ctx, goBin, buildArgs(tmp)...)
	cmd.Dir = root
	// On cancellation the go command's whole group is killed, its compiler
	// children too; do not wait for their hold on the output pipe.
	cmd.Cancel = childproc.Kill(cmd)
	cmd.WaitDelay = time.Second
	out, err := childproc.CombinedOutput(cmd)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", buildErrors(root, out, err)
	}
	if isArchive(tmp) {
		return "", asList(&diag.Diagnostic{Msg: "the site directory holds a library package, not a program",
			Hint: "a site's root package is `package main` with a `func main` (see `verge new`)"})
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	pruneCache(cacheDir, bin)
	return bin, nil
}

// Build runs Generate and then, if it succeeded, Compile: the whole way from
// a site directory to a binary. written is Generate's count.
func Build(ctx context.Context, dir, cacheDir string) (bin string, written int, err error) {
	written, err = Generate(dir)
	if err != nil {
		return "", written, err
	}
	bin, err = Compile(ctx, dir, cacheDir)
	return bin, written, err
}

// pruneCache deletes all but the keepBinaries most recently used binaries
// in cacheDir (keep is always kept), and build directories that a killed
// process left behind. Errors are ignored: a binary still running on
// Windows cannot be deleted, and will be on a later run.
func pruneCache(cacheDir, keep string) {
	ents, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	type cached struct {
		path string
		mod  time.Time
	}
	var bins []cached
	for _, e := range ents {
		path := filepath.Join(cacheDir, e.Name())
		info, err := e.Info()
		if err != nil {
			continue
		}
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), "build-") && time.Since(info.ModTime()) > time.Hour {
				os.RemoveAll(path)
			}
			continue
		}
		if isKeyName(strings.TrimSuffix(e.Name(), exeSuffix)) && path != keep {
			bins = append(bins, cached{path, info.ModTime()})
		}
	}
	slices.SortFunc(bins, func(a, b cached) int { return b.mod.Compare(a.mod) })
	for i, b := range bins {
		if i >= keepBinaries-1 {
			os.Remove(b.path)
		}
	}
}

// isKeyName reports whether name looks like a cache key, so pruning never
// deletes a file it did not create.
func isKeyName(name string) bool {
	if len(name) != 32 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// isArchive reports whether path is a Go package archive, which go build -o
// writes, successfully, for a package that is not main.
func isArchive(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := f.Read(head)
	return string(head[:n]) == "!<arch>\n"
}
