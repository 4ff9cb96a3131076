// Package benchkit holds what the benchmark programs beside examples/bench
// share: locating the checkout and shared/, generating corpora, preparing
// Hugo's copy of a corpus, and installing the reference Hugo.
package benchkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HugoVersion is the Hugo release Verge is compared with.
const HugoVersion = "v0.163.3"

// RepoRoot is the Verge checkout the program runs in.
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("run from inside the Verge checkout: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// SharedDir is shared/ beside the checkout, unless flag is set.
func SharedDir(repo, flag string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(filepath.Dir(repo), "shared")
}

// GenCorpus writes an n-post corpus into dir with shared/corpus/gen.py.
func GenCorpus(shared, dir string, n int) error {
	return Sh(".", nil, "python3", filepath.Join(shared, "corpus", "gen.py"), dir, "--pages", strconv.Itoa(n))
}

// HugoSite copies corpus to dir with the reference layouts over it.
func HugoSite(shared, corpus, dir string) error {
	if err := Sh(".", nil, "cp", "-r", corpus, dir); err != nil {
		return err
	}
	return Sh(".", nil, "cp", "-r", filepath.Join(shared, "corpus", "hugo-reference")+"/.", dir)
}

// Sh runs a command in dir with env added, failing with its output.
func Sh(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v: %w\n%s", name, args, err, out)
	}
	return nil
}

// EnsureHugo finds Hugo HugoVersion on PATH or in GOPATH/bin, installing
// it with the Go toolchain (from the module proxy) when missing.
func EnsureHugo() (string, error) {
	if p, err := exec.LookPath("hugo"); err == nil && hugoOK(p) {
		return p, nil
	}
	gobin := filepath.Join(goEnv("GOPATH"), "bin", "hugo")
	if hugoOK(gobin) {
		return gobin, nil
	}
	fmt.Fprintf(os.Stderr, "installing hugo %s with go install (a few minutes, once)...\n", HugoVersion)
	if err := Sh(".", nil, "go", "install", "github.com/gohugoio/hugo@"+HugoVersion); err != nil {
		return "", err
	}
	return gobin, nil
}

func hugoOK(p string) bool {
	out, err := exec.Command(p, "version").Output()
	return err == nil && strings.Contains(string(out), HugoVersion)
}

func goEnv(k string) string {
	out, _ := exec.Command("go", "env", k).Output()
	return strings.TrimSpace(string(out))
}

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// NumCPU is the machine's core count as nproc reports it (the CPUs this
// process may use).
func NumCPU() int {
	out, _ := exec.Command("nproc").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// WaitListening waits until something accepts connections at addr.
func WaitListening(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BuildVerge compiles the verge CLI of the checkout at repo into dir and
// returns its path.
func BuildVerge(repo, dir string) (string, error) {
	verge := filepath.Join(dir, "verge")
	return verge, Sh(repo, nil, "go", "build", "-o", verge, "./cmd/verge")
}

// CopySite copies the bench site's code to dir (inside the checkout, so
// its module is Verge's), renaming its import paths to dir's.
func CopySite(repo, dir string) error {
	src := filepath.Join(repo, "examples", "bench")
	rel, _ := filepath.Rel(repo, dir)
	oldImport := "github.com/vergehq/verge/examples/bench/ui"
	newImport := "github.com/vergehq/verge/" + filepath.ToSlash(rel) + "/ui"
	for _, f := range []string{"main.go", "ui/ui.templ", "ui/ui_templ.go"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		out := strings.ReplaceAll(string(data), oldImport, newImport)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(out), 0o644); err != nil {
			return err
		}
	}
	return nil
}
