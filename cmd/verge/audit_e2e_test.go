package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/browser"
)

// verge audit grades the scaffolded blog: A on every page; as JSON with
// every rule per page; as an HTML report that opens in Chromium without
// errors and draws its charts; and --min-grade fails a build output that
// grades below it, naming the page.
func TestAudit(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	if out, code := runVerge(t, bin, dir, "build", "-q"); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, out)
	}

	out, code := runVerge(t, bin, dir, "audit", "--json")
	if code != 0 {
		t.Fatalf("audit --json: exit %d\n%s", code, out)
	}
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit --json: %v\n%s", err, out)
	}
	if len(rep.Pages) < 5 || rep.Grades["A"] != len(rep.Pages) {
		t.Errorf("%d pages, grades %v: want all A", len(rep.Pages), rep.Grades)
	}
	for _, p := range rep.Pages {
		if len(p.Rules) != 23 {
			t.Errorf("%s: %d rules, want 23", p.Route, len(p.Rules))
		}
	}

	out, code = runVerge(t, bin, dir, "audit")
	if code != 0 || !strings.Contains(out, "site: grade A") {
		t.Errorf("audit: exit %d\n%s", code, out)
	}

	t.Run("HTML report", func(t *testing.T) {
		needChromium(t)
		report := filepath.Join(t.TempDir(), "report.html")
		if out, code := runVerge(t, bin, dir, "audit", "--html", report); code != 0 {
			t.Fatalf("audit --html: exit %d\n%s", code, out)
		}
		b, err := browser.Start(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.OnNewDocument(`window.__errors = []; addEventListener("error", e => __errors.push(String(e.message)));`); err != nil {
			t.Fatal(err)
		}
		if err := b.Open("file://"+report, 20*time.Second); err != nil {
			t.Fatal(err)
		}
		if n, err := browser.Eval[int](b, `document.querySelectorAll("#rules-chart .bar").length`); err != nil || n != 23 {
			t.Errorf("rules chart: %d bars (%v), want 23", n, err)
		}
		if n, err := browser.Eval[int](b, `document.querySelectorAll("#pages-chart .bar").length`); err != nil || n != len(rep.Pages) {
			t.Errorf("pages chart: %d bars (%v), want %d", n, err, len(rep.Pages))
		}
		if errs, err := browser.Eval[[]string](b, `__errors`); err != nil || len(errs) > 0 {
			t.Errorf("page errors: %v %v", errs, err)
		}
		shot, err := b.Screenshot()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		if n := colors(img); n < 8 {
			t.Errorf("the screenshot has %d colours: blank", n)
		}
		if os.Getenv("VERGE_KEEP_SCREENSHOT") != "" {
			_ = os.WriteFile(os.Getenv("VERGE_KEEP_SCREENSHOT"), shot, 0o644)
		}
	})

	t.Run("min-grade", func(t *testing.T) {
		// A blocking script in the head of one page, and a stylesheet in
		// its body: that page drops below A.
		page := filepath.Join(dir, "dist", "about", "index.html")
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(data), "</head>", `<script src="/nope1.js"></script><script src="/nope2.js"></script><script src="/nope3.js"></script><script src="/nope4.js"></script><script src="/nope5.js"></script></head>`, 1)
		bad = strings.Replace(bad, "<body>", `<body><img src=""><img src="">`, 1)
		if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		out, code := runVerge(t, bin, dir, "audit", "--min-grade", "A")
		if code == 0 || !strings.Contains(out, "/about/") || !strings.Contains(out, "below A") {
			t.Errorf("audit --min-grade A: exit %d\n%s", code, out)
		}
		if !strings.Contains(out, "yemptysrc") || !strings.Contains(out, "yjsbottom") {
			t.Errorf("the report does not name the rules at fault:\n%s", out)
		}
	})
}

// colors counts the distinct colours of an image, up to 64.
func colors(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 12, g >> 12, bl >> 12, a >> 12}] = true
			if len(seen) >= 64 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// verge build gives the site's grade; with --min-grade (or [build]
// min_grade) a page below it fails the build, naming the page and the
// rule, and the previous output stays as it was.
func TestBuildMinGrade(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	out, code := runVerge(t, bin, dir, "build")
	if code != 0 || !strings.Contains(out, "grade        A") {
		t.Fatalf("build: exit %d, want a grade A in the summary\n%s", code, out)
	}
	before, err := os.ReadFile(filepath.Join(dir, "dist", "_verge", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A post loading twenty scripts from as many other hosts: too many
	// requests, none from the site's edge, twenty DNS lookups.
	var body strings.Builder
	for i := range 20 {
		fmt.Fprintf(&body, "<script src=\"https://cdn%d.example.net/widget.js\"></script>\n", i)
	}
	post := filepath.Join(dir, "content", "posts", "widgets.md")
	if err := os.WriteFile(post, []byte("---\ntitle: Widgets\ndate: 2024-05-01\n---\n\n"+body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := bytes.Replace(mustRead(t, filepath.Join(dir, "verge.toml")), []byte("[markdown]"), []byte("[markdown]\nunsafe = true"), 1)
	if err := os.WriteFile(filepath.Join(dir, "verge.toml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runVerge(t, bin, dir, "build", "--min-grade", "A")
	if code == 0 || !strings.Contains(out, "/posts/widgets/") || !strings.Contains(out, "ynumreq") || !strings.Contains(out, "below the minimum A") {
		t.Fatalf("build --min-grade A: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "dist", "_verge", "manifest.json")); !bytes.Equal(before, after) {
		t.Error("the failed build replaced the previous output")
	}
	// The same from verge.toml; an invalid value is refused.
	if err := os.WriteFile(filepath.Join(dir, "verge.toml"), bytes.Replace(cfg, []byte("[build]"), []byte("[build]\nmin_grade = \"A\""), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := runVerge(t, bin, dir, "build"); code == 0 || !strings.Contains(out, "below the minimum A") {
		t.Errorf("build with min_grade in verge.toml: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "verge.toml"), bytes.Replace(cfg, []byte("[build]"), []byte("[build]\nmin_grade = \"Z\""), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := runVerge(t, bin, dir, "build"); code == 0 || !strings.Contains(out, "verge.toml") || !strings.Contains(out, "min_grade") {
		t.Errorf("build with min_grade Z: exit %d\n%s", code, out)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
