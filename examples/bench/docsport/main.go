// Command docsport measures rebuild and purge precision on real content:
// the Hugo documentation (shared/corpus/hugo-docs), ported to Verge as a
// new user would port it with the authoring API as it is (see convert.go
// for what the port changes, and examples/hugodocs for the site: every doc
// page has a sidebar of its section's pages, Collection.InDir).
//
//	go run ./examples/bench/docsport [-keep DIR] [-shared DIR]
//
// It unpacks the corpus into a temporary directory (on /dev/shm when
// there is one; under DIR, kept, with -keep), converts it, builds it with
// the verge CLI, deploys it to the local target, and then makes one edit
// at a time, rebuilding and deploying after each: to a page of the
// biggest section and to one of the smallest, (a) a sentence appended to
// the body's last paragraph (the page's summary, its first paragraph,
// stays), (b) a sentence of the first paragraph changed, (c) the title
// changed, (d) a new page in the section; and (e) no change. For each it
// prints the pages in the site, the pages re-rendered (verge build
// --json), the pages whose bytes changed (the two manifests), and the
// purge plan of verge deploy --dry-run --json: the tags, the URLs they
// cover, the changed URLs, recall (changed URLs purged / changed URLs),
// precision (changed URLs purged / URLs purged) and requests.
//
// It does not build the same content with Hugo: the Hugo docs theme has no
// open-source license and is not in the corpus, and Hugo without layouts
// renders no pages, so there is no like-for-like Hugo figure to print.
//
// It exits with status 1 when a step fails, or when a plan leaves a page
// whose bytes changed out of the purge (the edge would serve it stale).
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
)

// css is the port's stylesheet, written to the converted tree's assets/.
//
//go:embed assets/main.css
var css []byte

func main() {
	keep := flag.String("keep", "", "work in DIR (created, left in place; its hugo/ and site/ are made anew) instead of a temporary directory")
	shared := flag.String("shared", "", "the shared/ directory (default: beside the checkout)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*keep, *shared); err != nil {
		log.Fatal(err)
	}
}

func run(keep, sharedFlag string) error {
	repo, err := benchkit.RepoRoot()
	if err != nil {
		return err
	}
	tarball := filepath.Join(benchkit.SharedDir(repo, sharedFlag), "corpus", "hugo-docs", "hugo-docs-content.tar.gz")
	work, err := workDir(keep)
	if err != nil {
		return err
	}
	if keep == "" {
		defer os.RemoveAll(work)
	}
	hugo, root := filepath.Join(work, "hugo"), filepath.Join(work, "site")
	for _, d := range []string{hugo, root} {
		if err := os.RemoveAll(d); err != nil { // a kept run's, edited
			return err
		}
	}
	if err := unpack(tarball, hugo); err != nil {
		return err
	}
	stats, err := convert(hugo, root, css)
	if err != nil {
		return err
	}
	fmt.Print(stats)
	verge, err := benchkit.BuildVerge(repo, work)
	if err != nil {
		return err
	}
	b := &bench{verge: verge, program: filepath.Join(repo, "examples", "hugodocs"), root: root, dist: filepath.Join(root, "dist")}
	big, small, err := pickTargets(root)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		t    target
	}{{"big", big}, {"small", small}} {
		fmt.Printf("%s section: %s (%d pages); edited page: %s (content/docs/%s.md)\n", t.name, t.t.Section, t.t.Pages, t.t.URL(), t.t.ID)
	}

	first, err := b.step("first build", "", nil)
	if err != nil {
		return err
	}
	rows := []*row{}
	for _, t := range []target{big, small} {
		for _, e := range []struct {
			name string
			fn   func(target) error
		}{
			{"(a) body: last paragraph", appendToLastParagraph},
			{"(b) body: first paragraph", changeFirstParagraph},
			{"(c) title", retitle},
		} {
			r, err := b.step(e.name, t.URL(), func() error { return e.fn(t) })
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
		var added string
		r, err := b.step("(d) new page", "", func() (err error) { added, err = addPage(t); return err })
		if err != nil {
			return err
		}
		r.Page = added
		rows = append(rows, r)
	}
	r, err := b.step("(e) no change", "", func() error { return nil })
	if err != nil {
		return err
	}
	rows = append(rows, r)

	fmt.Printf("\nfirst build: %d pages in %.2f s (the site program's build, verge build --json; %.2f s with compiling it)\n",
		first.Pages, first.Seconds, b.firstWall.Seconds())
	printTable(rows)
	fmt.Println("\nHugo: not built. Its docs theme is not in the corpus (no open-source license), and Hugo renders no pages without layouts.")
	fmt.Printf("command: go run ./examples/bench/docsport (work dir %s%s)\n", work, map[bool]string{true: ", kept", false: ", removed"}[keep != ""])
	var missed []string
	for _, r := range rows {
		for _, u := range r.missed {
			missed = append(missed, r.Edit+": "+u)
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("the purge leaves %d changed pages cached:\n  %s", len(missed), strings.Join(missed, "\n  "))
	}
	return nil
}

// workDir is keep (made), or a new temporary directory, on tmpfs when the
// machine has one.
func workDir(keep string) (string, error) {
	if keep != "" {
		return keep, os.MkdirAll(keep, 0o755)
	}
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	return os.MkdirTemp(base, "verge-docsport-")
}

// printTable prints the rows and their totals.
func printTable(rows []*row) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "edit\tpage\tpages\tre-rendered\tbytes changed\tchanged URLs\ttags\tURLs purged\trecall\tprecision\tpurge all\trequests\tbuild s\t")
	var tot row
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%.2f\t\n", r.Edit, r.Page, r.Pages, r.Rendered, r.BytesChanged,
			r.Changed, r.Tags, r.Purged, r.recall(), r.precision(), map[bool]string{true: "yes", false: "no"}[r.Everything], r.Requests, r.Seconds)
		tot.Rendered += r.Rendered
		tot.BytesChanged += r.BytesChanged
		tot.Changed += r.Changed
		tot.Tags += r.Tags
		tot.Purged += r.Purged
		tot.Hit += r.Hit
		tot.Requests += r.Requests
		tot.Seconds += r.Seconds
	}
	fmt.Fprintf(tw, "total\t\t\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\t%d\t%.2f\t\n", tot.Rendered, tot.BytesChanged, tot.Changed, tot.Tags, tot.Purged,
		tot.recall(), tot.precision(), tot.Requests, tot.Seconds)
	tw.Flush()
	fmt.Println("re-rendered: pages the build ran again; bytes changed: pages whose sha256 in the manifest changed, appeared or vanished;")
	fmt.Println("changed URLs: what the purge plan counts as changed; URLs purged: those the plan's tags cover, and those it purges by URL;")
	fmt.Println("recall = changed URLs purged / changed URLs; precision = changed URLs purged / URLs purged;")
	fmt.Println("purge all: the tags cover so much of the site that the plan sends one purge of everything instead (precision is then lower still).")
	fmt.Println("\ntags purged:")
	for _, r := range rows {
		fmt.Printf("  %-28s %s\n", r.Edit, r.tagSummary())
	}
}

// bench drives the verge CLI on the converted site.
type bench struct {
	verge, program string // the CLI, and the site program's directory
	root, dist     string // the converted site source, its build output
	prev           map[string]string
	firstWall      time.Duration
}

// step applies change (nil: none), rebuilds, and measures the rebuild and
// the purge its deploy would send; then deploys it, so that the next step
// is measured against it.
func (b *bench) step(name, page string, change func() error) (*row, error) {
	if change != nil {
		if err := change(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	start := time.Now()
	var rep buildReport
	if err := runJSON(&rep, b.root, []string{"VERGE_DOCS=" + b.root}, b.verge, "build", b.program, "--out", b.dist, "--json", "--quiet"); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if b.prev == nil {
		b.firstWall = time.Since(start)
	}
	sums, err := pageSums(b.dist)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r := &row{Edit: name, Page: page, Pages: rep.Pages, Rendered: rep.Rendered, Seconds: rep.Seconds}
	if b.prev != nil {
		var plan purgePlan
		if err := runJSON(&plan, b.root, nil, b.verge, "deploy", b.root, "--target", "local", "--dist", b.dist, "--dry-run", "--json"); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.measure(&plan, changedPages(b.prev, sums))
	}
	if err := benchkit.Sh(b.root, nil, b.verge, "deploy", b.root, "--target", "local", "--dist", b.dist); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b.prev = sums
	return r, nil
}
