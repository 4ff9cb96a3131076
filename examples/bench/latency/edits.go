package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
	"github.com/vergehq/verge/internal/browser"
	"github.com/vergehq/verge/internal/manifest"
)

// editKind is one kind of edit: which page to watch, how to change a file
// for edit i, and what the page shows once the change is in.
type editKind struct {
	name    string
	page    string
	file    string
	apply   func(orig string, i int) (string, error) // the file's new content
	visible func(i int) string                       // JS predicate
	timeout time.Duration
}

const postPage, postFile = "/posts/post-00010/", "content/posts/post-00010.md"

// markdownEdit puts a marker paragraph at the top of a post's body.
func markdownEdit(root string) editKind {
	return editKind{name: "markdown", page: postPage, file: filepath.Join(root, postFile), timeout: 10 * time.Second,
		apply: func(orig string, i int) (string, error) {
			end := strings.Index(orig[3:], "\n---\n")
			if !strings.HasPrefix(orig, "---\n") || end < 0 {
				return "", fmt.Errorf("%s has no YAML front matter", postFile)
			}
			end += 3 + len("\n---\n")
			return orig[:end] + fmt.Sprintf("Latency marker md%d.\n\n", i) + orig[end:], nil
		},
		visible: func(i int) string { return fmt.Sprintf(`document.body.innerText.includes("Latency marker md%d.")`, i) },
	}
}

// cssEdit gives the header a new colour.
func cssEdit(root string) editKind {
	return editKind{name: "css", page: "/", file: filepath.Join(root, "assets/css/main.css"), timeout: 10 * time.Second,
		apply: func(orig string, i int) (string, error) {
			return orig + fmt.Sprintf("\nheader{color:rgb(1,2,%d)}\n", i%250+1), nil
		},
		visible: func(i int) string {
			return fmt.Sprintf(`getComputedStyle(document.querySelector("header")).color === "rgb(1, 2, %d)"`, i%250+1)
		},
	}
}

// templateEdit changes the text of the header's About link, in a .templ
// file (Verge) or the base layout (Hugo).
func templateEdit(file string) editKind {
	return editKind{name: "template", page: postPage, file: file, timeout: 20 * time.Second,
		apply: func(orig string, i int) (string, error) {
			const link = `<a href="/about/">About</a>`
			if !strings.Contains(orig, link) {
				return "", fmt.Errorf("%s lacks %s", file, link)
			}
			return strings.Replace(orig, link, fmt.Sprintf(`<a href="/about/">About t%d</a>`, i), 1), nil
		},
		visible: func(i int) string {
			return fmt.Sprintf(`document.querySelector("header").innerText.includes("About t%d")`, i)
		},
	}
}

// goEdit changes how many posts the home page lists, in main.go.
func goEdit(siteDir string) editKind {
	n := func(i int) int { return 10 + i%10 }
	return editKind{name: "go", page: "/", file: filepath.Join(siteDir, "main.go"), timeout: 60 * time.Second,
		apply: func(orig string, i int) (string, error) {
			const call = "posts.Latest(c, 20)"
			if !strings.Contains(orig, call) {
				return "", fmt.Errorf("main.go lacks %s", call)
			}
			return strings.Replace(orig, call, fmt.Sprintf("posts.Latest(c, %d)", n(i)), 1), nil
		},
		visible: func(i int) string { return fmt.Sprintf(`document.querySelectorAll("main li").length === %d`, n(i)) },
	}
}

// runEdits measures one kind of edit n times against the server at base.
// ready is a JS predicate for "the page listens for changes"; pause runs
// before edit i: it waits until the server has finished with the last
// edit (Verge completes rebuilds in the background), or, to measure the
// server unsettled, only for a developer's pause between two edits. The
// file is restored afterwards.
func runEdits(b *browser.Browser, base, ready string, pause func(i int) error, k editKind, n int, res *result) error {
	if !measured[strings.TrimPrefix(k.name, "unsettled-")] {
		return nil
	}
	orig, err := os.ReadFile(k.file)
	if err != nil {
		return err
	}
	defer os.WriteFile(k.file, orig, 0o644)
	if err := b.Open(base+k.page, 30*time.Second); err != nil {
		return err
	}
	for i := range n {
		if err := b.Wait(ready, 30*time.Second); err != nil {
			return err
		}
		if err := pause(i); err != nil {
			return err
		}
		if _, err := browser.Eval[int](b, fmt.Sprintf("window.__latencyMark = %d", i+1)); err != nil {
			return err
		}
		if _, err := browser.Eval[bool](b, expect(k.visible(i))); err != nil {
			return err
		}
		next, err := k.apply(string(orig), i)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := os.WriteFile(k.file, []byte(next), 0o644); err != nil {
			return err
		}
		if err := b.Wait(`sessionStorage.getItem("__latencySeen") !== null`, k.timeout); err != nil {
			return fmt.Errorf("%s edit %d: waiting for %s: %w", k.name, i, k.visible(i), err)
		}
		seen, err := browser.Eval[float64](b, `+sessionStorage.getItem("__latencySeen")`)
		if err != nil {
			return err
		}
		res.edits[k.name] = append(res.edits[k.name], time.Duration((seen-float64(start.UnixMicro())/1000)*float64(time.Millisecond)))
		// The mark set on window before the edit is gone if the page
		// reloaded rather than changed in place.
		if mark, _ := browser.Eval[int](b, "window.__latencyMark || 0"); mark != i+1 {
			res.reloads[k.name]++
		}
	}
	return nil
}

// observer runs in every document the browser loads. It checks the
// predicate runEdits expects on every DOM mutation and every 2 ms, and
// records the wall-clock time it first holds: the moment the change is
// in the DOM, without the latency of polling from outside the page.
const observer = `(() => {
  const check = () => {
    const expr = sessionStorage.getItem("__latencyExpect");
    if (!expr || sessionStorage.getItem("__latencySeen") !== null) return;
    let ok = false;
    try { ok = !!(new Function("return (" + expr + ")"))(); } catch (e) {}
    if (ok) sessionStorage.setItem("__latencySeen", String(performance.timeOrigin + performance.now()));
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  setInterval(check, 2);
})();`

// expect arms the observer for a predicate.
func expect(pred string) string {
	return fmt.Sprintf(`sessionStorage.removeItem("__latencySeen"), sessionStorage.setItem("__latencyExpect", %q), true`, pred)
}

func newResult() *result {
	return &result{edits: map[string][]time.Duration{}, reloads: map[string]int{}, incomplete: map[string]int{}}
}

// measureVerge runs `verge serve` on a copy of the bench site and corpus.
func measureVerge(repo, work, corpus string, b *browser.Browser, n int) (*result, error) {
	vcorpus := filepath.Join(work, "verge-corpus")
	if err := benchkit.Sh(".", nil, "cp", "-r", corpus, vcorpus); err != nil {
		return nil, err
	}
	siteDir := filepath.Join(repo, "examples", fmt.Sprintf("bench-latency-%d", os.Getpid()))
	defer os.RemoveAll(siteDir)
	if err := benchkit.CopySite(repo, siteDir); err != nil {
		return nil, err
	}
	verge, err := benchkit.BuildVerge(repo, work)
	if err != nil {
		return nil, err
	}
	env := []string{"VERGE_CORPUS=" + vcorpus}
	// Compile the site program once, as a developer's earlier session
	// would have: the figure is of serving, not of a cold Go build.
	if err := benchkit.Sh(repo, env, verge, "build", siteDir, "-q", "--out", filepath.Join(work, "verge-warm")); err != nil {
		return nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(verge, "serve", siteDir, "--port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), env...)
	s, err := startServer(cmd, port)
	if err != nil {
		return nil, err
	}
	defer s.close()
	res := newResult()
	res.firstPage = s.firstPage(time.Now())
	settled := func(int) error {
		// Let the page's live connection settle after the last reload.
		time.Sleep(300 * time.Millisecond)
		return vergeSettled(s.base)
	}
	for _, k := range []editKind{markdownEdit(vcorpus), cssEdit(vcorpus), templateEdit(filepath.Join(siteDir, "ui", "ui.templ")), goEdit(siteDir)} {
		if err := runEdits(b, s.base, vergeReady, settled, k, n, res); err != nil {
			return nil, err
		}
	}
	res.peakRSS, res.peakChild = s.peak()

	// Unsettled: a server started afresh for each kind, edited from the
	// moment its first page is served, 0.4-1.2 s apart, never waiting
	// for the background render.
	s.close()
	for _, k := range []editKind{markdownEdit(vcorpus), cssEdit(vcorpus)} {
		if !measured[k.name] {
			continue
		}
		if err := measureUnsettled(verge, siteDir, env, b, k, n, res); err != nil {
			return nil, fmt.Errorf("unsettled %s: %w", k.name, err)
		}
	}
	return res, nil
}

const vergeReady = `document.documentElement.dataset.vergeLive === "connected"`

// measureUnsettled runs edits of kind k on a fresh verge serve from its
// first page on, recording them under "unsettled-"+k.name and how many
// were made while pages remained to render.
func measureUnsettled(verge, siteDir string, env []string, b *browser.Browser, k editKind, n int, res *result) error {
	port, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(verge, "serve", siteDir, "--port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), env...)
	s, err := startServer(cmd, port)
	if err != nil {
		return err
	}
	defer s.close()
	name := "unsettled-" + k.name
	pause := func(i int) error {
		// A deterministic spread of pauses between 0.4 s and 1.2 s.
		time.Sleep(400*time.Millisecond + time.Duration((i*7919)%801)*time.Millisecond)
		if !vergeComplete(s.base) {
			res.incomplete[name]++
		}
		return nil
	}
	u := k
	u.name = name
	return runEdits(b, s.base, vergeReady, pause, u, n, res)
}

// measureHugo runs `hugo server` on the reference site over the corpus.
func measureHugo(shared, work, corpus string, b *browser.Browser, n int) (*result, error) {
	hugo, err := benchkit.EnsureHugo()
	if err != nil {
		return nil, err
	}
	site := filepath.Join(work, "hugo-site")
	if err := benchkit.HugoSite(shared, corpus, site); err != nil {
		return nil, err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(hugo, "server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--baseURL", fmt.Sprintf("http://127.0.0.1:%d/", port))
	cmd.Dir = site
	s, err := startServer(cmd, port)
	if err != nil {
		return nil, err
	}
	defer s.close()
	res := newResult()
	res.firstPage = s.firstPage(time.Now())
	// Hugo's livereload.js connects over a WebSocket and exposes no state:
	// give it a second after each load.
	const ready = `document.readyState === "complete"`
	settled := func(int) error { time.Sleep(1300 * time.Millisecond); return nil }
	for _, k := range []editKind{markdownEdit(site), cssEdit(site), templateEdit(filepath.Join(site, "layouts", "_default", "baseof.html"))} {
		if err := runEdits(b, s.base, ready, settled, k, n, res); err != nil {
			return nil, err
		}
	}
	res.peakRSS, res.peakChild = s.peak()
	return res, nil
}

// vergeSettled waits until verge serve reports every page rendered, so
// each edit is measured from a quiet server, as a developer's next edit
// usually finds it.
func vergeSettled(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if vergeComplete(base) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("verge serve did not complete its build within a minute")
}

// vergeComplete reports whether verge serve has every page rendered.
func vergeComplete(base string) bool {
	resp, err := http.Get(base + manifest.URLPrefix + "state")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var st struct {
		Complete bool `json:"complete"`
	}
	return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Complete
}
