// Command nochange measures a rebuild in which no source changed, the
// build a user runs most often, at the sizes of the benchmark corpus: the
// bench site program run directly (`site build --quiet`) and through the
// CLI (`verge build examples/bench --quiet`, which first checks that the
// compiled program is current). Each is measured -runs times, after a
// first build and the racy window (files changed within 2 s are never
// trusted to stat, see internal/engine/srcstamp.go); the table gives the
// median wall time, its spread, and the median CPU time (user + system,
// the process tree's), which a busy machine disturbs less than the wall
// time. With -hugo, Hugo's second build of the same corpus is measured
// beside it: Hugo has no no-change shortcut, so it rebuilds everything.
//
//	go run ./examples/bench/nochange [-sizes 10000,100000] [-runs 5] [-dir /dev/shm]
//
// -site and -verge measure binaries built elsewhere (another checkout's,
// say, for a before/after table; -repo is then that checkout). The
// 100,000-post corpus is 400 MB and each output 700 MB: give -dir a tmpfs
// with 2 GB free. Generating it takes about 15 s, its first build about
// a minute on 2 cores.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
)

func main() {
	sizes := flag.String("sizes", "10000,100000", "corpus sizes (posts)")
	runs := flag.Int("runs", 5, "runs per measurement; the median and the spread are printed")
	shared := flag.String("shared", "", "the shared/ directory (default: ../shared beside the repository)")
	dir := flag.String("dir", "", "where corpora and outputs go (default: the system temp dir)")
	repo := flag.String("repo", "", "the Verge checkout whose examples/bench `verge build` compiles (default: this one)")
	site := flag.String("site", "", "a compiled bench site program (default: built from -repo)")
	verge := flag.String("verge", "", "a compiled verge CLI (default: built from -repo)")
	hugo := flag.Bool("hugo", false, "also time Hugo's second build of each corpus")
	flag.Parse()
	if err := run(*sizes, *runs, *shared, *dir, *repo, *site, *verge, *hugo); err != nil {
		fmt.Fprintln(os.Stderr, "nochange:", err)
		os.Exit(1)
	}
}

// timing is one run's wall and CPU time.
type timing struct{ wall, cpu time.Duration }

func run(sizeList string, runs int, shared, dir, repo, site, verge string, withHugo bool) error {
	var err error
	if repo == "" {
		if repo, err = benchkit.RepoRoot(); err != nil {
			return err
		}
	}
	shared = benchkit.SharedDir(repo, shared)
	work, err := os.MkdirTemp(dir, "verge-nochange-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if site == "" {
		site = filepath.Join(work, "site")
		if err := benchkit.Sh(repo, nil, "go", "build", "-o", site, "./examples/bench"); err != nil {
			return err
		}
	}
	if verge == "" {
		if verge, err = benchkit.BuildVerge(repo, work); err != nil {
			return err
		}
	}
	hugo := ""
	if withHugo {
		if hugo, err = benchkit.EnsureHugo(); err != nil {
			return err
		}
	}
	fmt.Printf("no-change rebuild, %d runs, %d cores, files in %s\n", runs, benchkit.NumCPU(), work)
	fmt.Printf("site program: %s\nverge CLI:    %s\n\n", site, verge)
	fmt.Printf("%-7s %-28s %12s %18s %12s\n", "posts", "command", "wall median", "wall min-max", "cpu median")
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad size %q", s)
		}
		corpus := filepath.Join(work, fmt.Sprintf("corpus-%d", n))
		if err := benchkit.GenCorpus(shared, corpus, n); err != nil {
			return err
		}
		env := []string{"VERGE_CORPUS=" + corpus}
		direct := []string{site, "build", "--quiet", "--out", filepath.Join(work, fmt.Sprintf("out-site-%d", n))}
		cli := []string{verge, "build", "examples/bench", "--quiet", "--out", filepath.Join(work, fmt.Sprintf("out-cli-%d", n))}
		for _, c := range []struct {
			name string
			argv []string
		}{{"site build --quiet", direct}, {"verge build --quiet", cli}} {
			ts, err := measure(repo, env, c.argv, runs)
			if err != nil {
				return err
			}
			printRow(n, c.name, ts)
		}
		if withHugo {
			hugoSite := filepath.Join(work, fmt.Sprintf("hugo-%d", n))
			if err := benchkit.HugoSite(shared, corpus, hugoSite); err != nil {
				return err
			}
			ts, err := measure(hugoSite, nil, []string{hugo, "--quiet", "-d", filepath.Join(work, fmt.Sprintf("out-hugo-%d", n))}, runs)
			if err != nil {
				return err
			}
			printRow(n, "hugo --quiet (second build)", ts)
		}
	}
	fmt.Println("\ntarget: 100,000 posts, no-change rebuild <= 0.3 s")
	return nil
}

// measure builds once, waits out the racy window, builds again (which
// records the stamp the next builds check), then times runs builds.
func measure(dir string, env, argv []string, runs int) ([]timing, error) {
	for i := range 2 {
		if _, err := run1(dir, env, argv); err != nil {
			return nil, err
		}
		if i == 0 {
			time.Sleep(2500 * time.Millisecond)
		}
	}
	var ts []timing
	for range runs {
		t, err := run1(dir, env, argv)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func run1(dir string, env, argv []string) (timing, error) {
	u, err := benchkit.Timed(dir, env, argv[0], argv[1:]...)
	return timing{wall: u.Wall, cpu: u.CPU}, err
}

func printRow(n int, name string, ts []timing) {
	walls := make([]time.Duration, len(ts))
	cpus := make([]time.Duration, len(ts))
	for i, t := range ts {
		walls[i], cpus[i] = t.wall, t.cpu
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	fmt.Printf("%-7d %-28s %11.3fs %8.3f-%.3fs %11.3fs\n", n, name, walls[len(walls)/2].Seconds(),
		walls[0].Seconds(), walls[len(walls)-1].Seconds(), cpus[len(cpus)/2].Seconds())
}
