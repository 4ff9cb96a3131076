package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/browser"
)

// TestServeInBrowser runs `verge serve` on a scaffolded site and drives
// real Chromium against it while files change, as a developer would see
// it. The subtests share one server and one browser, and run in order.
func TestServeInBrowser(t *testing.T) {
	needChromium(t)
	bin := vergeBin(t)
	dir := newSite(t, bin)
	base := startServe(t, bin, dir)

	b, err := browser.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	open := func(t *testing.T, path string) {
		t.Helper()
		if err := b.Open(base+path, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		wait(t, b, `document.documentElement.dataset.vergeLive === "connected"`, 10*time.Second)
	}
	edit := func(t *testing.T, rel, old, new string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), old) {
			t.Fatalf("%s does not contain %q", rel, old)
		}
		writeFile(t, p, strings.Replace(string(data), old, new, 1))
	}

	t.Run("content edit updates the page", func(t *testing.T) {
		open(t, "/posts/hello-verge/")
		edit(t, "content/posts/hello-verge.md", "It is the most boring architecture", "It is, edited live, the most boring architecture")
		wait(t, b, `document.body.innerText.includes("edited live")`, 10*time.Second)
	})

	t.Run("CSS edit swaps the stylesheet without a reload", func(t *testing.T) {
		open(t, "/")
		if _, err := browser.Eval[int](b, `window.__notReloaded = 7`); err != nil {
			t.Fatal(err)
		}
		edit(t, "assets/css/base.css", "body {", "body {\n  outline: 3px solid rgb(1, 2, 3);")
		wait(t, b, `getComputedStyle(document.body).outlineColor === "rgb(1, 2, 3)"`, 10*time.Second)
		if v, err := browser.Eval[int](b, `window.__notReloaded || 0`); err != nil || v != 7 {
			t.Errorf("the page reloaded (marker %d, %v)", v, err)
		}
		// Two edits in quick succession: the last wins, one stylesheet is left.
		edit(t, "assets/css/base.css", "rgb(1, 2, 3)", "rgb(4, 5, 6)")
		edit(t, "assets/css/base.css", "rgb(4, 5, 6)", "rgb(7, 8, 9)")
		wait(t, b, `getComputedStyle(document.body).outlineColor === "rgb(7, 8, 9)"`, 10*time.Second)
		wait(t, b, `document.querySelectorAll('link[rel="stylesheet"]').length === 1`, 5*time.Second)
		if v, err := browser.Eval[int](b, `window.__notReloaded || 0`); err != nil || v != 7 {
			t.Errorf("the page reloaded (marker %d, %v)", v, err)
		}
	})

	t.Run("error overlay appears and clears", func(t *testing.T) {
		open(t, "/")
		p := filepath.Join(dir, "content/posts/hello-verge.md")
		good, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, strings.Replace(string(good), "title: Why", "title: [Why", 1))
		overlay := `document.querySelector("verge-error-overlay")?.shadowRoot`
		wait(t, b, overlay+`?.textContent.includes("content/posts/hello-verge.md:2")`, 10*time.Second)
		// The excerpt shows the offending line.
		wait(t, b, overlay+`?.querySelector(".line.hit")?.textContent.includes("title: [Why")`, time.Second)
		writeFile(t, p, string(good))
		wait(t, b, `!document.querySelector("verge-error-overlay")`, 10*time.Second)
	})

	t.Run("new post appears in the list", func(t *testing.T) {
		open(t, "/posts/")
		writeFile(t, filepath.Join(dir, "content/posts/brand-new.md"),
			"---\ntitle: A brand new post\ndate: 2030-01-01\ntags: [verge]\n---\n\nJust written.\n")
		wait(t, b, `document.body.innerText.includes("A brand new post")`, 10*time.Second)
	})

	t.Run("compile error shows while the old program serves", func(t *testing.T) {
		open(t, "/")
		p := filepath.Join(dir, "main.go")
		good, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, string(good)+"\nfunc broken() { undefinedThing() }\n")
		overlay := `document.querySelector("verge-error-overlay")?.shadowRoot?.textContent`
		wait(t, b, overlay+`?.includes("undefined: undefinedThing")`, 60*time.Second)
		wait(t, b, overlay+`?.includes("main.go:")`, time.Second)
		// The old program still serves pages.
		if resp, err := http.Get(base + "/about/"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /about/ during the compile error: %v %v", resp, err)
		}
		writeFile(t, p, string(good))
		wait(t, b, `!document.querySelector("verge-error-overlay")`, 60*time.Second)
	})

	t.Run("Go change restarts the program", func(t *testing.T) {
		open(t, "/")
		wait(t, b, `document.querySelectorAll("article.card").length > 1`, time.Second)
		edit(t, "main.go", "posts.Latest(c, 5)", "posts.Latest(c, 1)")
		wait(t, b, `document.querySelectorAll("article.card").length === 1`, 90*time.Second)
	})
}

// A site that does not compile when serve starts shows why, and becomes
// the site once fixed.
func TestServeStartsBroken(t *testing.T) {
	needChromium(t)
	bin := vergeBin(t)
	dir := newSite(t, bin)
	p := filepath.Join(dir, "main.go")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, string(good)+"\nfunc broken() { undefinedThing() }\n")
	base := startServe(t, bin, dir)
	b, err := browser.Start(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Open(base+"/", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	wait(t, b, `document.querySelector("verge-error-overlay")?.shadowRoot?.textContent?.includes("undefined: undefinedThing")`, 10*time.Second)
	writeFile(t, p, string(good))
	wait(t, b, `document.querySelectorAll("article.card").length > 0`, 90*time.Second)
}

// needChromium skips the test when Chromium is missing, except in CI,
// which installs it (.ci/run): there a missing browser is a failure.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := browser.Path(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must install Chromium (.ci/run does):", err)
		}
		t.Skip("needs Chromium:", err)
	}
}

func wait(t *testing.T, b *browser.Browser, expr string, timeout time.Duration) {
	t.Helper()
	if err := b.Wait(expr, timeout); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startServe runs `verge serve` on dir on a free port until the test
// ends, and returns its base URL once it serves.
func startServe(t *testing.T, bin, dir string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, "serve", dir, "--port", fmt.Sprint(port))
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		log strings.Builder
	)
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.HasPrefix(sc.Text(), "serving ") {
				once.Do(func() { close(serving) })
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("verge serve did not stop on interrupt")
		}
		if t.Failed() {
			mu.Lock()
			t.Logf("verge serve output:\n%s", log.String())
			mu.Unlock()
		}
	})
	select {
	case <-serving:
	case err := <-exited:
		t.Fatalf("verge serve exited: %v\n%s", err, log.String())
	case <-time.After(3 * time.Minute):
		t.Fatal(errors.New("verge serve did not start"))
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// When verge serve dies without a word (SIGKILL), its site program stops
// too, and frees the port, instead of serving on an orphaned socket.
func TestServeProgramDiesWithSupervisor(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	port := freePort(t)
	cmd := exec.Command(bin, "serve", dir, "--port", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := http.Get("http://" + addr + "/"); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("verge serve did not serve")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return // nobody listens any more
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the site program still serves after verge serve was killed")
		}
	}
}
