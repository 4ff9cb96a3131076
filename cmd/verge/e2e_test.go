package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/manifest"
)

// These tests run the real verge binary, as a user would, against real
// site directories: scaffolding, templ generation, compiling the site
// program and building it.

// built is the verge binary the tests share: built once per run, into
// a directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// vergeBin builds the CLI from this checkout, the first time it is asked.
func vergeBin(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		statSources(t)
		if built.dir, built.err = os.MkdirTemp("", "verge-e2e-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "verge")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// newSite scaffolds the blog example into a fresh directory with verge
// new, and returns the directory.
func newSite(t *testing.T, bin string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if out, code := runVerge(t, bin, ".", "new", dir); code != 0 {
		t.Fatalf("verge new: exit %d\n%s", code, out)
	}
	return dir
}

// statSources opens every source file of the checkout. The go command
// caches test results by the files a test touched; these tests build and
// run the whole of Verge in subprocesses, so without this a change to, say,
// package render would replay a cached pass.
func statSources(t *testing.T) {
	t.Helper()
	_ = filepath.Walk(repoRoot(t), func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if info.IsDir() && (info.Name() == "dist" || info.Name() == ".git") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".templ") || strings.HasSuffix(p, ".md") ||
			strings.HasSuffix(p, ".css") || strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".toml") || strings.HasSuffix(p, ".yaml") {
			if f, err := os.Open(p); err == nil {
				f.Close()
			}
		}
		return nil
	})
}

// mustVerge runs verge in dir and returns its output, failing the test
// on a non-zero exit.
func mustVerge(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	out, code := runVerge(t, bin, dir, args...)
	if code != 0 {
		t.Fatalf("verge %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// runVerge runs verge and returns its combined output and exit status.
func runVerge(t *testing.T, bin, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyDir copies a source tree, leaving out build output, with old
// replaced by new in Go and templ files (an import path, say).
func copyDir(t *testing.T, src, dst, old, new string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			if info.Name() == "dist" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".templ") {
			data = bytes.ReplaceAll(data, []byte(old), []byte(new))
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewThenBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a scaffolded site")
	}
	bin := vergeBin(t)
	dir := filepath.Join(t.TempDir(), "mysite")
	out, code := runVerge(t, bin, ".", "new", dir)
	if code != 0 {
		t.Fatalf("verge new: exit %d\n%s", code, out)
	}
	for _, f := range []string{"go.mod", "go.sum", "main.go", "verge.toml", "components/layout.templ", "content/posts", "assets/css/main.css"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("scaffold lacks %s", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Error("scaffold contains a dist/")
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if !strings.Contains(string(gomod), "module mysite") || !strings.Contains(string(gomod), "replace github.com/vergehq/verge => "+repoRoot(t)) {
		t.Errorf("go.mod:\n%s", gomod)
	}
	main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if !strings.Contains(string(main), `"mysite/components"`) {
		t.Error("imports not rewritten to the new module")
	}

	out, code = runVerge(t, bin, dir, "build")
	if code != 0 {
		t.Fatalf("verge build: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "pages") || !strings.Contains(out, "time") {
		t.Errorf("no build summary:\n%s", out)
	}
	m, err := manifest.Read(filepath.Join(dir, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Lookup("/index.html") == nil || m.Lookup("/about/index.html") == nil || len(m.Functions) != 1 {
		t.Errorf("manifest: %d files, %d functions", len(m.Files), len(m.Functions))
	}

	// The site program runs on its own too.
	goRun := exec.Command("go", "run", ".", "build", "--out", filepath.Join(t.TempDir(), "gorun"))
	goRun.Dir = dir
	if out, err := goRun.CombinedOutput(); err != nil {
		t.Errorf("go run . build: %v\n%s", err, out)
	}

	// A second build with nothing changed proves every page unchanged.
	out, code = runVerge(t, bin, dir, "build", "--json")
	if code != 0 {
		t.Fatalf("second build: exit %d\n%s", code, out)
	}
	var rep struct {
		Rendered  int  `json:"rendered"`
		Unchanged bool `json:"unchanged"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if rep.Rendered != 0 || !rep.Unchanged {
		t.Errorf("second build rendered %d pages, unchanged=%v", rep.Rendered, rep.Unchanged)
	}
}

// TestCompileErrors breaks the blog example's code and checks that the
// build names the file and line, exits 1 and keeps the previous dist/.
func TestCompileErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the example site")
	}
	bin := vergeBin(t)
	cases := []struct {
		name, file, find, replace string
		want                      []string
	}{
		{"templ syntax error", "components/layout.templ", "</footer>", "</foter>", []string{"components/layout.templ:", "compile failed"}},
		{"templ expression error", "components/layout.templ", `<main id="main" class="wrap">`, `<main id="main" class="wrap"><p>{ undefinedName }</p>`, []string{"components/layout.templ:45:", "undefined: undefinedName"}},
		{"Go compile error", "main.go", "s := site.New()", "s := site.New()\n\tvar unused int", []string{"main.go:", "declared and not used"}},
	}
	// One site inside the Verge module (as examples/ are), built once so
	// each case has a good dist/ to keep.
	name := "blog-e2e-" + t.Name()
	dir := filepath.Join(repoRoot(t), "examples", name)
	copyDir(t, filepath.Join(repoRoot(t), "examples", "blog"), dir, blogImport, "github.com/vergehq/verge/examples/"+name)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, code := runVerge(t, bin, dir, "build"); code != 0 {
		t.Fatalf("good build: exit %d\n%s", code, out)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "dist", manifest.Path))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(orig, []byte(tc.find)) {
				t.Fatalf("%s lacks %q", tc.file, tc.find)
			}
			defer os.WriteFile(p, orig, 0o644)
			if err := os.WriteFile(p, bytes.Replace(orig, []byte(tc.find), []byte(tc.replace), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code := runVerge(t, bin, dir, "build")
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			after, _ := os.ReadFile(filepath.Join(dir, "dist", manifest.Path))
			if !bytes.Equal(after, good) {
				t.Error("a failed build changed dist/")
			}
		})
	}
}

// TestBuildBench builds the benchmark site on a small generated corpus and
// checks it has exactly the page set of shared/corpus/README.md.
func TestBuildBench(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the bench site")
	}
	gen := filepath.Join(repoRoot(t), "..", "shared", "corpus", "gen.py")
	if _, err := os.Stat(gen); err != nil {
		t.Skip("shared/corpus/gen.py not beside the checkout")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	corpus := t.TempDir()
	if out, err := exec.Command("python3", gen, corpus, "--pages", "45").CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	bin := vergeBin(t)
	outDir := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "build", "examples/bench", "--out", outDir)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "VERGE_CORPUS="+corpus)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("verge build: %v\n%s", err, out)
	}
	m, err := manifest.Read(outDir)
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, f := range m.Files {
		if f.Route != "" {
			routes[f.Route] = true
		}
	}
	// 45 posts: /posts/ has 3 pages of 20; every post, /, /tags/, about, contact.
	for _, r := range []string{"/", "/posts/", "/posts/page/2/", "/posts/page/3/", "/posts/post-00000/", "/posts/post-00044/", "/tags/", "/about/", "/contact/"} {
		if !routes[r] {
			t.Errorf("missing page %s", r)
		}
	}
	if routes["/posts/page/4/"] {
		t.Error("an empty fourth posts page")
	}
	tagPages := 0
	for r := range routes {
		if strings.HasPrefix(r, "/tags/topic-") {
			tagPages++
		}
	}
	if tagPages == 0 {
		t.Error("no tag pages")
	}
	home, _ := os.ReadFile(filepath.Join(outDir, "index.html"))
	for _, want := range []string{"<link rel=stylesheet href=/_assets/css/main-", "integrity=sha384-", "<script type=module src=/_assets/js/main-", "defer"} {
		if !strings.Contains(string(home), want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if n := strings.Count(string(home), "<li>"); n != 20 {
		t.Errorf("home lists %d posts, want 20", n)
	}
}

// verge deploy, versions and rollback on a built site, as CI would run
// them: the build output is all they need.
func TestDeployVersionsRollback(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	step := func(args ...string) string { t.Helper(); return mustVerge(t, bin, dir, args...) }
	step("build", "-q")
	if out := step("deploy"); !strings.Contains(out, "deployed ") {
		t.Fatalf("first deploy:\n%s", out)
	}
	if out := step("deploy"); !strings.Contains(out, "live already") {
		t.Errorf("deploying the same build again:\n%s", out)
	}
	post := filepath.Join(dir, "content", "posts", "hello-verge.md")
	data, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(post, append(data, "\nOne more line.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	step("build", "-q")
	out := step("deploy")
	if !strings.Contains(out, "deployed ") || !strings.Contains(out, "changed") {
		t.Fatalf("second deploy:\n%s", out)
	}
	var list []struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
	}
	if err := json.Unmarshal([]byte(step("versions", "--json")), &list); err != nil || len(list) != 2 || !list[0].Active {
		t.Fatalf("versions: %+v %v", list, err)
	}
	if out := step("rollback", "--dir", dir); !strings.Contains(out, "to "+list[1].ID) {
		t.Errorf("rollback:\n%s", out)
	}
	if out := step("versions"); !strings.Contains(out, "*  "+list[1].ID) {
		t.Errorf("versions after the rollback do not mark %s active:\n%s", list[1].ID, out)
	}
	if out, code := runVerge(t, bin, dir, "rollback", "--dir", dir, "nope"); code == 0 || !strings.Contains(out, "verge versions") {
		t.Errorf("rollback to a missing version: exit %d\n%s", code, out)
	}

	// verge edge serves the live version, and a rollback switches it.
	port := freePort(t)
	edgeCmd := exec.Command(bin, "edge", dir, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "-q")
	if err := edgeCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { edgeCmd.Process.Signal(os.Interrupt); edgeCmd.Wait() }()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		for range 100 {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("verge edge does not answer")
		return nil, ""
	}
	resp, body := get("/posts/hello-verge/")
	if resp.StatusCode != 200 || strings.Contains(body, "One more line") || resp.Header.Get("Cache-Tag") == "" {
		t.Fatalf("edge before the switch: %d, tags %q", resp.StatusCode, resp.Header.Get("Cache-Tag"))
	}
	step("rollback", "--dir", dir)
	if _, body := get("/posts/hello-verge/"); !strings.Contains(body, "One more line") {
		t.Errorf("edge after rolling forward again does not serve the new post")
	}
}

// verge serve --prod builds the site and serves it through the local edge,
// with the API functions at the origin behind it.
func TestServeProd(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	port := freePort(t)
	cmd := exec.Command(bin, "serve", dir, "--prod", "--port", fmt.Sprint(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(body)
			}
		}
		t.Fatalf("verge serve --prod does not answer:\n%s", out.String())
		return nil, ""
	}
	resp, _ := get("/")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || resp.Header.Get("CDN-Cache-Control") == "" || resp.Header.Get("Cache-Tag") == "" {
		t.Errorf("page: %d %v", resp.StatusCode, resp.Header)
	}
	// The function's answer is cached at the edge by its policy; its tags
	// are the cache's, not the browser's.
	resp, body := get("/api/related/hello-verge")
	if resp.StatusCode != 200 || !strings.Contains(body, `"url"`) || resp.Header.Get("Cache-Tag") != "" ||
		resp.Header.Get("Cache-Status") != "verge; fwd=uri-miss; stored" {
		t.Errorf("function: %d %q, Cache-Tag %q, Cache-Status %q", resp.StatusCode, body, resp.Header.Get("Cache-Tag"), resp.Header.Get("Cache-Status"))
	}
	if resp, _ := get("/api/related/hello-verge"); !strings.HasPrefix(resp.Header.Get("Cache-Status"), "verge; hit") {
		t.Errorf("second call: Cache-Status %q, want a hit", resp.Header.Get("Cache-Status"))
	}
	if resp, body := get("/no/such/page/"); resp.StatusCode != 404 || !strings.Contains(body, "<html") {
		t.Errorf("404: %d", resp.StatusCode)
	}
}
