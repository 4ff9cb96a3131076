package gosite

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/modfile"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/diag"
)

// keySchema changes whenever what goes into a key changes, so binaries cached
// by an older verge are not mistaken for current ones.
const keySchema = "verge-gosite-key-1"

// goEnvVars are the settings of the go command that change the binary it
// builds from the same sources.
var goEnvVars = []string{
	"GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOFLAGS", "GOEXPERIMENT",
	"GOAMD64", "GOARM", "GOARM64", "GO386", "GOWORK",
	"CGO_ENABLED", "CC", "CGO_CFLAGS", "CGO_LDFLAGS",
}

// sourceExts are the files the go command compiles or links into a package.
var sourceExts = map[string]bool{
	".go": true, ".s": true, ".S": true, ".sx": true, ".c": true, ".h": true,
	".cc": true, ".cpp": true, ".cxx": true, ".hh": true, ".hpp": true, ".hxx": true,
	".m": true, ".f": true, ".F": true, ".for": true, ".f90": true, ".syso": true,
}

// skipKeyDir reports whether the go command never builds packages from a
// directory of this name.
func skipKeyDir(name string) bool {
	switch name {
	case "testdata", "dist", "node_modules":
		return true
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// buildKey hashes everything that goes into the binary of the site module in
// dir: its sources and go.mod/go.sum, those of every local replace target
// and go.work module, the toolchain's settings and the build command.
// Modules from the module cache are covered by go.sum. Embedded files
// (//go:embed) count as sources.
func buildKey(ctx context.Context, goBin, dir string) (string, error) {
	// go.mod first: its mistakes are better reported by line than through
	// whatever `go env` makes of them.
	roots, err := moduleRoots(dir)
	if err != nil {
		return "", err
	}
	env, err := goEnv(ctx, goBin, dir)
	if err != nil {
		return "", err
	}
	roots = workRoots(roots, env["GOWORK"])

	var files []string
	for _, root := range roots {
		for _, name := range []string{"go.mod", "go.sum"} {
			files = append(files, filepath.Join(root, name))
		}
		collectSources(root, root, &files)
	}
	if w := env["GOWORK"]; w != "" && w != "off" {
		files = append(files, w, strings.TrimSuffix(w, ".work")+".work.sum")
	}
	sums, embeds := hashFiles(files)

	h := sha256.New()
	fmt.Fprintf(h, "%s\n%q\n", keySchema, buildArgs("BIN"))
	for _, k := range goEnvVars {
		fmt.Fprintf(h, "%s=%q\n", k, env[k])
	}
	writeSums(h, files, sums)
	embedFiles := expandEmbeds(embeds)
	writeSums(h, embedFiles, hashPaths(embedFiles))
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func writeSums(h hash.Hash, files []string, sums []string) {
	for i, f := range files {
		fmt.Fprintf(h, "%s\x00%s\n", f, sums[i])
	}
}

// goEnv asks the go command, in the site directory so that the site's
// go.mod toolchain line and any go.work apply, for the settings in
// goEnvVars, in one run.
func goEnv(ctx context.Context, goBin, dir string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, goBin, append([]string{"env", "-json"}, goEnvVars...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Cancel = childproc.Kill(cmd)
	out, err := childproc.Output(cmd)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &diag.Diagnostic{File: "go.mod", Msg: "go env: " + msg,
			Hint: "check the go and toolchain lines of go.mod against the installed Go (`go version`)"}
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	return env, nil
}

// moduleRoots returns the root of the module that holds dir (dir itself
// for a site with its own go.mod; an ancestor for a site that is a package
// of a larger module, as Verge's examples are) and the directories that
// local replace directives in its go.mod point at, cleaned, without
// duplicates, the module root first.
func moduleRoots(dir string) ([]string, error) {
	root := dir
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return nil, &diag.Diagnostic{File: "go.mod", Msg: "no go.mod in the site directory or above it",
				Hint: "a site is a Go module: run `go mod init NAME` in the site directory"}
		}
		root = parent
	}
	gomod := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, err
	}
	mf, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, modfileDiags(root, err)
	}
	roots := []string{root}
	for _, r := range mf.Replace {
		roots = addReplaceRoot(roots, root, r)
	}
	return roots, nil
}

// workRoots adds the modules a go.work file (if one applies) uses or
// replaces with directories. An unreadable go.work is left to go build to
// report.
func workRoots(roots []string, gowork string) []string {
	if gowork == "" || gowork == "off" {
		return roots
	}
	data, err := os.ReadFile(gowork)
	if err != nil {
		return roots
	}
	wf, err := modfile.ParseWork(gowork, data, nil)
	if err != nil {
		return roots
	}
	base := filepath.Dir(gowork)
	for _, u := range wf.Use {
		roots = addRoot(roots, base, u.Path)
	}
	for _, r := range wf.Replace {
		roots = addReplaceRoot(roots, base, r)
	}
	return roots
}

func addReplaceRoot(roots []string, base string, r *modfile.Replace) []string {
	if r.New.Version != "" || !modfile.IsDirectoryPath(r.New.Path) {
		return roots // a module from the cache: go.sum covers it
	}
	return addRoot(roots, base, r.New.Path)
}

func addRoot(roots []string, base, p string) []string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	if p = filepath.Clean(p); !slices.Contains(roots, p) {
		roots = append(roots, p)
	}
	return roots
}

// modfileDiags turns a go.mod parse error into diagnostics on go.mod.
func modfileDiags(dir string, err error) error {
	var el modfile.ErrorList
	if !errors.As(err, &el) {
		return &diag.Diagnostic{File: "go.mod", Msg: err.Error()}
	}
	var list diag.List
	for _, e := range el {
		msg := e.Err.Error()
		if e.ModPath != "" {
			msg = e.Verb + " " + e.ModPath + ": " + msg
		} else if e.Verb != "" {
			msg = e.Verb + ": " + msg
		}
		d := &diag.Diagnostic{File: relSlash(dir, e.Filename), Line: e.Pos.Line, Msg: msg}
		if e.Pos.LineRune > 1 {
			d.Col = e.Pos.LineRune
		}
		list.Add(d)
	}
	return list.Err()
}

// collectSources appends the source files of the module rooted at root
// found under d, leaving out tests, directories the go command ignores and
// nested modules, which are not part of this one.
func collectSources(root, d string, files *[]string) {
	ents, err := os.ReadDir(d)
	if err != nil {
		return // a missing replace target: go build will say so
	}
	if d != root {
		for _, e := range ents {
			if e.Name() == "go.mod" && !e.IsDir() {
				return
			}
		}
	}
	for _, e := range ents {
		name := e.Name()
		path := filepath.Join(d, name)
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(path)
			if err != nil || fi.IsDir() {
				continue // symlinked directories: skipped, as by the go command's walks
			}
			isDir = false
		}
		if isDir {
			if !skipKeyDir(name) {
				collectSources(root, path, files)
			}
			continue
		}
		if sourceExts[filepath.Ext(name)] && !strings.HasSuffix(name, "_test.go") {
			*files = append(*files, path)
		}
	}
}

// embedRef is a //go:embed pattern and the directory it is relative to.
type embedRef struct{ dir, pattern string }

// hashFiles returns the SHA-256 of each file ("-" when it cannot be read)
// and the //go:embed patterns found in the .go files, reading on all cores.
func hashFiles(files []string) (sums []string, embeds []embedRef) {
	sums = make([]string, len(files))
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				data, err := os.ReadFile(files[i])
				if err != nil {
					sums[i] = "-"
					continue
				}
				sum := sha256.Sum256(data)
				sums[i] = hex.EncodeToString(sum[:])
				if strings.HasSuffix(files[i], ".go") && bytes.Contains(data, []byte("//go:embed")) {
					found := embedPatterns(filepath.Dir(files[i]), data)
					mu.Lock()
					embeds = append(embeds, found...)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return sums, embeds
}

func hashPaths(files []string) []string {
	sums, _ := hashFiles(files)
	return sums
}

// embedPatterns extracts the patterns of the //go:embed lines in a Go file.
func embedPatterns(dir string, data []byte) []embedRef {
	var refs []embedRef
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "//go:embed")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		for _, p := range splitEmbedPatterns(rest) {
			refs = append(refs, embedRef{dir: dir, pattern: strings.TrimPrefix(p, "all:")})
		}
	}
	return refs
}

// splitEmbedPatterns splits a //go:embed argument list: space-separated,
// each pattern bare or a Go string literal.
func splitEmbedPatterns(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' || s[0] == '`' {
			if q, err := strconv.QuotedPrefix(s); err == nil {
				if u, err := strconv.Unquote(q); err == nil {
					out = append(out, u)
				}
				s = s[len(q):]
				continue
			}
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// expandEmbeds lists, sorted and without duplicates, the files the embed
// patterns match, directories taken whole. Matching more than go:embed would
// (hidden files) only costs an occasional needless rebuild.
func expandEmbeds(refs []embedRef) []string {
	var files []string
	for _, r := range refs {
		matches, _ := filepath.Glob(filepath.Join(r.dir, filepath.FromSlash(r.pattern)))
		for _, m := range matches {
			filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					files = append(files, path)
				}
				return nil
			})
		}
	}
	slices.Sort(files)
	return slices.Compact(files)
}
