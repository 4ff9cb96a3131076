// Command latency measures the dev server as a developer feels it: on the
// 10,000-post corpus, in headless Chromium, the time from writing a file
// to the changed content being in the page's DOM, for Markdown, CSS,
// .templ text and Go edits (median and p95 of 20 each, and how many the
// page took in place rather than by reloading), plus the time to first
// page and the peak memory of `verge serve` (its process tree: verge and
// the site program it runs), next to `hugo server` measured the same way
// on the same corpus.
//
// Each edit is measured from a settled server (every page rendered), and
// Markdown and CSS edits also from an unsettled one: a fresh server
// edited from its first page on, 0.4-1.2 s apart, as a developer who does
// not wait for the background render edits.
//
//	go run ./examples/bench/latency [-posts 10000] [-edits 20] [-hugo=false] [-kinds markdown,css,template,go]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
	"github.com/vergehq/verge/internal/browser"
)

// Targets of the dev server issue, checked in the printed table.
var targets = map[string]time.Duration{
	"markdown":           100 * time.Millisecond,
	"css":                50 * time.Millisecond,
	"template":           300 * time.Millisecond,
	"go":                 3 * time.Second,
	"unsettled-markdown": 100 * time.Millisecond,
	"unsettled-css":      50 * time.Millisecond,
}

func main() {
	posts := flag.Int("posts", 10000, "corpus size")
	edits := flag.Int("edits", 20, "edits of each kind")
	withHugo := flag.Bool("hugo", true, "measure hugo server too")
	kinds := flag.String("kinds", "markdown,css,template,go", "the kinds of edit to measure (markdown and css are also measured unsettled)")
	shared := flag.String("shared", "", "the shared/ directory (default: ../shared beside the repository)")
	flag.Parse()
	measured = map[string]bool{}
	for _, k := range strings.Split(*kinds, ",") {
		measured[strings.TrimSpace(k)] = true
	}
	if err := run(*posts, *edits, *withHugo, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// measured is the kinds of edit to measure (-kinds).
var measured map[string]bool

// result is one server's figures.
type result struct {
	firstPage  time.Duration
	peakRSS    int64                      // the server's process tree, sampled
	peakChild  int64                      // the largest VmHWM of a child process (verge's site program)
	edits      map[string][]time.Duration // by edit kind
	reloads    map[string]int             // edits the page took by reloading (not in place)
	incomplete map[string]int             // edits made while pages remained to render
}

func run(posts, edits int, withHugo bool, sharedFlag string) error {
	repo, err := benchkit.RepoRoot()
	if err != nil {
		return err
	}
	shared := benchkit.SharedDir(repo, sharedFlag)
	work, err := os.MkdirTemp("", "verge-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	corpus := filepath.Join(work, "corpus")
	fmt.Fprintf(os.Stderr, "generating %d posts...\n", posts)
	if err := benchkit.GenCorpus(shared, corpus, posts); err != nil {
		return err
	}
	b, err := browser.Start(context.Background(), filepath.Join(work, "chromium"))
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.OnNewDocument(observer); err != nil {
		return err
	}

	fmt.Fprintln(os.Stderr, "measuring verge serve...")
	v, err := measureVerge(repo, work, corpus, b, edits)
	if err != nil {
		return fmt.Errorf("verge: %w", err)
	}
	var h *result
	if withHugo {
		fmt.Fprintln(os.Stderr, "measuring hugo server...")
		if h, err = measureHugo(shared, work, corpus, b, edits); err != nil {
			return fmt.Errorf("hugo: %w", err)
		}
	}
	printTable(posts, edits, v, h)
	return nil
}

func printTable(posts, edits int, v, h *result) {
	fmt.Printf("verge serve vs hugo server %s, %d posts, %d edits of each kind, %d cores, headless Chromium\n",
		benchkit.HugoVersion, posts, edits, benchkit.NumCPU())
	fmt.Println("edit latency: from the file write to the change in the page's DOM; in place: edits the page took without reloading")
	fmt.Println()
	fmt.Printf("%-34s %10s %10s %10s %10s %10s %10s   %s\n", "", "verge p50", "verge p95", "in place", "hugo p50", "hugo p95", "in place", "target (verge p50)")
	hugoCol := func(f func(*result) string) string {
		if h == nil {
			return "-"
		}
		return f(h)
	}
	mb := func(n int64) string { return fmt.Sprintf("%.0fM", float64(n)/(1<<20)) }
	fmt.Printf("%-34s %10s %10s %10s %10s\n", "time to first page", round(v.firstPage), "", "", hugoCol(func(r *result) string { return round(r.firstPage) }))
	fmt.Printf("%-34s %10s %10s %10s %10s\n", "peak memory (RSS, process tree)", mb(v.peakRSS), "", "", hugoCol(func(r *result) string { return mb(r.peakRSS) }))
	fmt.Printf("%-34s %10s\n", "  of which the site program (HWM)", mb(v.peakChild))
	rows := []struct{ kind, label string }{
		{"markdown", "Markdown post edit"},
		{"css", "CSS edit"},
		{"template", ".templ text edit (hugo: layout)"},
		{"go", "Go edit, to the reloaded page"},
	}
	for _, r := range rows {
		vs := v.edits[r.kind]
		if len(vs) == 0 {
			continue
		}
		hp50, hp95, hin := "-", "-", "-"
		if h != nil && len(h.edits[r.kind]) > 0 {
			hp50, hp95, hin = round(pct(h.edits[r.kind], 50)), round(pct(h.edits[r.kind], 95)), inPlace(h, r.kind)
		}
		fmt.Printf("%-34s %10s %10s %10s %10s %10s %10s   %s\n", r.label, round(pct(vs, 50)), round(pct(vs, 95)), inPlace(v, r.kind),
			hp50, hp95, hin, verdict(v, r.kind))
	}
	printStates(v)
}

// printStates puts verge's Markdown and CSS edits from a settled server
// (every page rendered) beside the same edits from an unsettled one.
func printStates(v *result) {
	if len(v.edits["unsettled-markdown"])+len(v.edits["unsettled-css"]) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("verge serve settled (every page rendered) vs unsettled (edited from its first page on, 0.4-1.2 s apart)")
	fmt.Println()
	fmt.Printf("%-10s %12s %7s %7s %8s | %14s %7s %7s %8s %8s | %s\n", "", "settled p50", "p90", "p95", "in place",
		"unsettled p50", "p90", "p95", "in place", "pending", "target (settled; unsettled)")
	for _, r := range []struct{ kind, label string }{{"markdown", "Markdown"}, {"css", "CSS"}} {
		u := "unsettled-" + r.kind
		col := func(k string) (p50, p90, p95, in string) {
			if len(v.edits[k]) == 0 {
				return "-", "-", "-", "-"
			}
			vs := v.edits[k]
			return round(pct(vs, 50)), round(pct(vs, 90)), round(pct(vs, 95)), inPlace(v, k)
		}
		s50, s90, s95, sin := col(r.kind)
		u50, u90, u95, uin := col(u)
		pending := fmt.Sprintf("%d/%d", v.incomplete[u], len(v.edits[u]))
		fmt.Printf("%-10s %12s %7s %7s %8s | %14s %7s %7s %8s %8s | %s; %s\n", r.label, s50, s90, s95, sin, u50, u90, u95, uin, pending,
			verdict(v, r.kind), verdict(v, u))
	}
	fmt.Println("(pending: unsettled edits made while pages remained to render)")
}

// inPlace is "n/m": of the m edits of kind measured, n changed the page
// without a reload.
func inPlace(r *result, kind string) string {
	n := len(r.edits[kind])
	return fmt.Sprintf("%d/%d", n-r.reloads[kind], n)
}

// verdict checks an edit kind's median against its target; a CSS edit
// must also have swapped in place every time.
func verdict(r *result, kind string) string {
	target := targets[kind]
	want := "< " + round(target)
	ok := pct(r.edits[kind], 50) < target
	if strings.HasSuffix(kind, "css") {
		want += ", all in place"
		ok = ok && r.reloads[kind] == 0
	}
	if ok {
		return want + ": met"
	}
	return want + ": NOT met"
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}
