// Command lighthouse checks that verge audit agrees with an independent
// auditor, Google's Lighthouse: it builds and serves an example as
// production would (verge serve --prod), audits it with verge audit, runs
// Lighthouse's performance category on some of its pages in headless
// Chromium, and prints, page by page, Lighthouse's score next to Verge's
// grade and every Lighthouse finding next to the YSlow rule that judges
// the same thing, marking where the two disagree.
//
// Lighthouse is not a Go program: install it first (npm install
// lighthouse@12 in some directory) and pass -lighthouse with its path.
//
//	go run ./examples/bench/lighthouse -lighthouse /tmp/lh/node_modules/.bin/lighthouse
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/examples/bench/internal/benchkit"
	"github.com/vergehq/verge/internal/browser"
)

// pairs maps Lighthouse's audits to the YSlow rules that judge the same
// thing.
var pairs = []struct{ lighthouse, rule, note string }{
	{"uses-long-cache-ttl", "yexpires", ""},
	{"uses-text-compression", "ycompress", ""},
	{"unminified-css", "yminify", ""},
	{"unminified-javascript", "yminify", ""},
	{"dom-size", "ymindom", ""},
	{"redirects", "yredirects", ""},
	{"uses-responsive-images", "yimgnoscale", ""},
	{"render-blocking-resources", "ycsstop", "YSlow wants stylesheets in <head>, which is where they block rendering; Lighthouse counts any stylesheet there as blocking (its fix, inlining critical CSS, gives up caching the stylesheet)"},
}

func main() {
	siteFlag := flag.String("site", "examples/blog", "the site to check, from the repository root")
	lh := flag.String("lighthouse", "lighthouse", "the lighthouse command (npm install lighthouse@12)")
	pages := flag.Int("pages", 4, "how many pages to run Lighthouse on (the lowest graded first)")
	flag.Parse()
	if err := run(*siteFlag, *lh, *pages); err != nil {
		fmt.Fprintln(os.Stderr, "lighthouse:", err)
		os.Exit(1)
	}
}

func run(siteRel, lh string, n int) error {
	chrome, err := browser.Path()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath(lh); err != nil {
		return fmt.Errorf("%s not found: npm install lighthouse@12, then pass -lighthouse PATH", lh)
	}
	repo, err := benchkit.RepoRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "verge-lighthouse-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	verge, err := benchkit.BuildVerge(repo, work)
	if err != nil {
		return err
	}
	site := filepath.Join(repo, siteRel)
	if err := benchkit.Sh(repo, nil, verge, "build", site, "-q"); err != nil {
		return err
	}
	out, err := exec.Command(verge, "audit", site, "--json").Output()
	if err != nil {
		return fmt.Errorf("verge audit: %w", err)
	}
	var rep audit.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		return err
	}
	port, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	serve := exec.Command(verge, "serve", site, "--prod", "--port", fmt.Sprint(port))
	serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := benchkit.WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 2*time.Minute); err != nil {
		return err
	}

	fmt.Printf("verge audit vs Lighthouse %s (performance), %s served by verge serve --prod\n\n", lighthouseVersion(lh), siteRel)
	disagree := 0
	notes := map[string]string{}
	for _, p := range rep.Worst(n) {
		res, err := lighthouse(lh, chrome, base+p.Route, work)
		if err != nil {
			return err
		}
		fmt.Printf("%-32s verge %s (%d)   Lighthouse %.0f\n", p.Route, p.Grade, p.Score, 100*res.Categories.Performance.Score)
		for _, pr := range pairs {
			a, ok := res.Audits[pr.lighthouse]
			if !ok || a.Score == nil || a.ScoreDisplayMode == "notApplicable" {
				continue
			}
			lhPass := *a.Score >= 0.9
			rulePass := ruleScore(p, pr.rule) == 100
			mark := "agree"
			switch {
			case lhPass != rulePass && pr.note != "":
				mark = "differ, as expected (see below)"
				notes[pr.lighthouse+" / "+pr.rule] = pr.note
			case lhPass != rulePass:
				mark = "DISAGREE"
				disagree++
			}
			fmt.Printf("    %-28s %-5s  %-12s %-5s  %s\n", pr.lighthouse, pass(lhPass), pr.rule, pass(rulePass), mark)
		}
	}
	for k, v := range notes {
		fmt.Printf("\n%s: %s\n", k, v)
	}
	if disagree > 0 {
		return fmt.Errorf("%d findings disagree", disagree)
	}
	fmt.Println("\nno finding disagrees")
	return nil
}

func pass(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

func ruleScore(p audit.PageReport, id string) int {
	i := slices.IndexFunc(p.Rules, func(r audit.RuleScore) bool { return r.ID == id })
	if i < 0 {
		return -1
	}
	return p.Rules[i].Score
}

// lhResult is the part of Lighthouse's JSON report read here.
type lhResult struct {
	Categories struct {
		Performance struct {
			Score float64 `json:"score"`
		} `json:"performance"`
	} `json:"categories"`
	Audits map[string]struct {
		Score            *float64 `json:"score"`
		ScoreDisplayMode string   `json:"scoreDisplayMode"`
	} `json:"audits"`
}

func lighthouse(lh, chrome, url, work string) (*lhResult, error) {
	report := filepath.Join(work, "lighthouse.json")
	cmd := exec.Command(lh, url, "--only-categories=performance", "--output=json", "--output-path="+report,
		"--chrome-flags=--headless=new --no-sandbox", "--quiet")
	cmd.Env = append(os.Environ(), "CHROME_PATH="+chrome)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("lighthouse %s: %w\n%s", url, err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, err
	}
	var r lhResult
	return &r, json.Unmarshal(data, &r)
}

func lighthouseVersion(lh string) string {
	out, err := exec.Command(lh, "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	return string(out[:len(out)-1])
}
