// Command compare measures Verge against Hugo on the benchmark corpus: it
// generates the 1,000- and 10,000-post corpora (and 100,000 with -sizes)
// with shared/corpus/gen.py, builds each with `verge build examples/bench`
// and with Hugo v0.163.3 and the reference layouts, and prints wall time,
// peak memory and their ratios from the same run: Verge's --quiet build,
// its default build (which grades every page, see package audit) and a
// no-change rebuild of each, against Hugo's clean build. Speed targets are
// checked here, not in timed tests, because ratios against a peer in the
// same run survive a noisy machine. With two sizes or more it also prints
// what each more page costs in peak memory, for both, beside what it adds
// to the output: the measure of a build that streams.
//
//	go run ./examples/bench/compare [-sizes 1000,10000] [-runs 3]
//	go run ./examples/bench/compare -sizes 100000 -runs 1 -dir /dev/shm
//	go run ./examples/bench/compare -sizes 10000,100000 -runs 1 -dir /dev/shm
//
// The 100,000-post size took 7.7 minutes with -runs 1 on 2 cores: 3.5 to
// prepare (corpus, Hugo's copy, a warm-up build, the settle wait) and
// about 4 a run, Hugo's two builds most of it; its corpus is 400 MB and
// each output 300 MB, so give -dir a tmpfs with 3 GB free.
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
)

func main() {
	sizes := flag.String("sizes", "1000,10000", "corpus sizes (posts)")
	runs := flag.Int("runs", 3, "runs per measurement; the median is printed")
	shared := flag.String("shared", "", "the shared/ directory (default: ../shared beside the repository)")
	dir := flag.String("dir", "", "where corpora and outputs go (default: the system temp dir; /dev/shm takes the disk out of the comparison)")
	wait := flag.Duration("wait", 65*time.Second, "pause after preparing the corpora, before measuring (see prepare)")
	flag.Parse()
	if err := run(*sizes, *runs, *shared, *dir, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// measurement is one command's wall time and peak resident memory.
type measurement struct {
	wall time.Duration
	rss  int64 // bytes, the largest process in the command's tree
}

func run(sizeList string, runs int, shared, dir string, wait time.Duration) error {
	repo, err := benchkit.RepoRoot()
	if err != nil {
		return err
	}
	shared = benchkit.SharedDir(repo, shared)
	hugo, err := benchkit.EnsureHugo()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(dir, "verge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	verge, err := benchkit.BuildVerge(repo, work)
	if err != nil {
		return err
	}
	var sites []*benchSite
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("bad size %q", s)
		}
		bs, err := prepare(repo, shared, work, verge, n)
		if err != nil {
			return err
		}
		sites = append(sites, bs)
	}
	// ext4 skips inodes deleted in the last minute or so when it allocates
	// new ones, scanning bitmaps in the kernel: right after a large delete
	// (an earlier build's output, a test run), creating files costs
	// several times more CPU. Nothing is deleted from here on; waiting out
	// earlier deletes makes the first measurements comparable.
	fmt.Fprintf(os.Stderr, "waiting %s for the file system to settle...\n", wait)
	time.Sleep(wait)
	fmt.Printf("verge vs hugo %s, median of %d runs, %d cores, files in %s\n\n", benchkit.HugoVersion, runs, benchkit.NumCPU(), work)
	fmt.Printf("%-7s %-22s %10s %10s %10s %10s %9s %9s\n", "posts", "build", "verge", "hugo", "speedup", "verge MB", "hugo MB", "mem ratio")
	for _, bs := range sites {
		if err := bs.compare(verge, hugo, runs); err != nil {
			return err
		}
	}
	printGrowth(sites)
	return nil
}

// printGrowth prints what each more page costs in peak memory, between
// consecutive sizes, beside the HTML each page adds to the output: a
// build that streams holds a page's metadata (its entry, its manifest
// record, with the collector's headroom), not its Markdown or HTML, so
// what a page costs does not grow with its body.
func printGrowth(sites []*benchSite) {
	if len(sites) < 2 {
		return
	}
	fmt.Printf("\n%-15s %14s %14s %14s %16s\n", "posts", "verge KB/page", "hugo KB/page", "ratio", "output KB/page")
	for i := 1; i < len(sites); i++ {
		a, b := sites[i-1], sites[i]
		pages := float64(b.n - a.n)
		v := float64(b.vergeRSS-a.vergeRSS) / pages / 1024
		h := float64(b.hugoRSS-a.hugoRSS) / pages / 1024
		out := float64(b.outBytes-a.outBytes) / pages / 1024
		fmt.Printf("%-15s %14.1f %14.1f %13.2fx %16.1f\n", fmt.Sprintf("%d -> %d", a.n, b.n), v, h, v/h, out)
	}
}

// benchSite is one corpus, ready for both generators.
type benchSite struct {
	repo, work, corpus, hugoSite string
	n                            int

	// Measured by compare: the clean builds' median peak memory, and the
	// size of Verge's output.
	vergeRSS, hugoRSS, outBytes int64
}

// prepare generates the corpus, gives Hugo its copy with the reference
// layouts, and compiles Verge's site program once, so timings are of
// building, as Hugo's are (its binary is compiled already).
func prepare(repo, shared, work, verge string, n int) (*benchSite, error) {
	bs := &benchSite{repo: repo, work: work, n: n,
		corpus: filepath.Join(work, fmt.Sprintf("corpus-%d", n)), hugoSite: filepath.Join(work, fmt.Sprintf("hugo-%d", n))}
	if err := benchkit.GenCorpus(shared, bs.corpus, n); err != nil {
		return nil, err
	}
	if err := benchkit.HugoSite(shared, bs.corpus, bs.hugoSite); err != nil {
		return nil, err
	}
	warm := filepath.Join(work, fmt.Sprintf("verge-warmup-%d", n))
	return bs, benchkit.Sh(repo, []string{"VERGE_CORPUS=" + bs.corpus}, verge, "build", "examples/bench", "--out", warm)
}

func (bs *benchSite) compare(verge, hugo string, runs int) error {
	env := []string{"VERGE_CORPUS=" + bs.corpus}
	var vCold, hCold, vWarm, hWarm, gCold, gWarm []measurement
	for i := range runs {
		// Fresh output directories rather than deleting the last ones
		// (see the wait in run).
		vergeOut := filepath.Join(bs.work, fmt.Sprintf("verge-out-%d-%d", bs.n, i))
		gradedOut := filepath.Join(bs.work, fmt.Sprintf("verge-graded-%d-%d", bs.n, i))
		hugoOut := filepath.Join(bs.work, fmt.Sprintf("hugo-out-%d-%d", bs.n, i))
		// Alternate who goes first, so neither always gets the quieter disk.
		vergeCold := func() error {
			m, err := measure(bs.repo, env, verge, "build", "examples/bench", "--quiet", "--out", vergeOut)
			vCold = append(vCold, m)
			return err
		}
		hugoCold := func() error {
			m, err := measure(bs.hugoSite, nil, hugo, "--quiet", "--ignoreCache", "-d", hugoOut)
			hCold = append(hCold, m)
			return err
		}
		first, second := vergeCold, hugoCold
		if i%2 == 1 {
			first, second = hugoCold, vergeCold
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		// The default build grades every page; its output goes to a
		// directory of its own (stdout, the summary, is dropped).
		m, err := measure(bs.repo, env, verge, "build", "examples/bench", "--out", gradedOut)
		if err != nil {
			return err
		}
		gCold = append(gCold, m)
		// Second builds, no source change.
		if m, err = measure(bs.repo, env, verge, "build", "examples/bench", "--quiet", "--out", vergeOut); err != nil {
			return err
		}
		vWarm = append(vWarm, m)
		if m, err = measure(bs.repo, env, verge, "build", "examples/bench", "--out", gradedOut); err != nil {
			return err
		}
		gWarm = append(gWarm, m)
		if m, err = measure(bs.hugoSite, nil, hugo, "--quiet", "-d", hugoOut); err != nil {
			return err
		}
		hWarm = append(hWarm, m)
	}
	bs.vergeRSS, bs.hugoRSS = median(vCold).rss, median(hCold).rss
	bs.outBytes = dirBytes(filepath.Join(bs.work, fmt.Sprintf("verge-out-%d-0", bs.n)))
	printRow(bs.n, "first (clean)", median(vCold), median(hCold), median(hCold))
	printRow(bs.n, "first, grading", median(gCold), median(hCold), median(hCold))
	printRow(bs.n, "second (no change)", median(vWarm), median(hWarm), median(hCold))
	printRow(bs.n, "second, grading", median(gWarm), median(hWarm), median(hCold))
	fmt.Printf("%-7d %-22s %9.2fx of --quiet's time, %.2fx its memory\n", bs.n, "grading costs",
		median(gCold).wall.Seconds()/median(vCold).wall.Seconds(), float64(median(gCold).rss)/float64(median(vCold).rss))
	return nil
}

// printRow prints one comparison; speedup is against ref, Hugo's clean
// build, which the targets are stated against.
func printRow(n int, name string, v, h, ref measurement) {
	fmt.Printf("%-7d %-22s %9.2fs %9.2fs %9.1fx %10.0f %9.0f %8.2fx\n", n, name, v.wall.Seconds(), h.wall.Seconds(),
		ref.wall.Seconds()/v.wall.Seconds(), mb(v.rss), mb(h.rss), float64(v.rss)/float64(h.rss))
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func median(ms []measurement) measurement {
	walls := make([]time.Duration, len(ms))
	rss := make([]int64, len(ms))
	for i, m := range ms {
		walls[i], rss[i] = m.wall, m.rss
	}
	slices.Sort(walls)
	slices.Sort(rss)
	return measurement{wall: walls[len(walls)/2], rss: rss[len(rss)/2]}
}

// settle flushes dirty pages and waits (up to a minute) until no task has
// stalled on I/O for two seconds, so one build does not pay for earlier
// writes and deletes: on a VM's disk that noise dwarfs the builds.
func settle() {
	_ = exec.Command("sync").Run()
	stalled := func() (int64, bool) {
		data, err := os.ReadFile("/proc/pressure/io")
		if err != nil {
			return 0, false
		}
		var a10, a60, a300 float64
		var total int64
		_, err = fmt.Sscanf(string(data), "some avg10=%f avg60=%f avg300=%f total=%d", &a10, &a60, &a300, &total)
		return total, err == nil
	}
	last, ok := stalled()
	if !ok {
		return
	}
	quietSince := time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		now, _ := stalled()
		if now != last {
			last, quietSince = now, time.Now()
		}
		if time.Since(quietSince) >= 2*time.Second {
			return
		}
	}
}

// measure runs a command once the disk has settled and reports its wall
// time and peak memory (see benchkit.Timed).
func measure(dir string, env []string, name string, args ...string) (measurement, error) {
	settle()
	u, err := benchkit.Timed(dir, env, name, args...)
	return measurement{wall: u.Wall, rss: u.RSS}, err
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
