// Command localdeploy is cfdeploy's local twin: it prints what verge
// deploy (the local store) purges on the generated corpus, measured in a
// real edge cache. The live version is served by verge edge from the
// store, with verge edge --origin caching it in front (as a CDN would);
// before each deploy every live URL is fetched through the cache, and
// after the deploy's purge each is asked for with only-if-cached: the
// URLs no longer cached are the ones the purge reached.
//
//	go run ./examples/bench/localdeploy [-pages 10000]
//
// For each deploy it prints the URLs whose bytes changed, the cached URLs
// the purge dropped, the recall (changed URLs dropped) and precision
// (dropped URLs that changed), and the purge requests the cache got.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/internal/purgeapi"
)

func main() {
	pages := flag.Int("pages", 10000, "posts in the generated corpus")
	shared := flag.String("shared", "", "the shared/ directory (default: beside the checkout)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*pages, *shared); err != nil {
		log.Fatal(err)
	}
}

func run(pages int, sharedFlag string) error {
	b, err := benchkit.NewPurgeBench("localdeploy", pages, sharedFlag)
	if err != nil {
		return err
	}
	defer b.Close()
	repo, work, corpus, verge, siteDir := b.Repo, b.Work, b.Corpus, b.Verge, b.Site
	// The cache's purge API, counted on the way.
	var purges atomic.Int64
	cacheURL := &url.URL{Scheme: "http"}
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == purgeapi.Path {
			purges.Add(1)
		}
		httputil.NewSingleHostReverseProxy(cacheURL).ServeHTTP(w, r)
	}))
	defer counter.Close()

	out := filepath.Join(work, "dist")
	deployDir := filepath.Join(work, "deploy")
	if err := os.MkdirAll(deployDir, 0o755); err != nil {
		return err
	}
	toml := fmt.Sprintf("output_dir = %q\n\n[purge]\nedges = [%q]\n", out, counter.URL)
	if err := os.WriteFile(filepath.Join(deployDir, "verge.toml"), []byte(toml), 0o644); err != nil {
		return err
	}
	token := filepath.Join(work, "token")
	if err := os.WriteFile(token, []byte("bench-token"), 0o600); err != nil {
		return err
	}
	env := []string{"VERGE_CORPUS=" + corpus, "VERGE_PURGE_TOKEN=bench-token"}

	var servers []*exec.Cmd
	defer func() {
		for _, c := range servers {
			c.Process.Signal(os.Interrupt)
			c.Wait()
		}
	}()
	start := func(args ...string) (string, error) {
		port, err := benchkit.FreePort()
		if err != nil {
			return "", err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(verge, append(args, "--listen", addr, "-q")...)
		cmd.Dir, cmd.Stderr = deployDir, os.Stderr
		if err := cmd.Start(); err != nil {
			return "", err
		}
		servers = append(servers, cmd)
		return addr, benchkit.WaitListening(addr, 20*time.Second)
	}

	fmt.Printf("verge deploy (local store), %d posts, purged in verge edge --origin caching verge edge\n", pages)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tURLs changed\tof them cached\tcached URLs purged\trecall\tprecision\tpurge requests\t")
	var prev *manifest.Manifest
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for _, e := range benchkit.PurgeEdits(corpus, siteDir, pages) {
		if err := e.Change(); err != nil {
			return err
		}
		if err := benchkit.Sh(repo, env, verge, "build", siteDir, "-q", "--out", out); err != nil {
			return err
		}
		m, err := manifest.Read(out)
		if err != nil {
			return err
		}
		base := "http://" + cacheURL.Host
		if prev != nil {
			// Every live URL in the cache.
			if err := each(prev, func(u string) error { _, err := fetch(client, base+u, false); return err }); err != nil {
				return err
			}
		}
		before := purges.Load()
		cmd := exec.Command(verge, "deploy", "--json")
		cmd.Dir, cmd.Env, cmd.Stderr = deployDir, append(os.Environ(), env...), os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: verge deploy: %w", e.Name, err)
		}
		if prev == nil {
			// The store has a live version now: serve it, cached in front.
			origin, err := start("edge", deployDir)
			if err != nil {
				return err
			}
			cache, err := start("edge", "--origin", "http://"+origin, "--cache-bytes", fmt.Sprint(2<<30), "--purge-token-file", token)
			if err != nil {
				return err
			}
			cacheURL.Host = cache
			fmt.Fprintf(tw, "%s\t\t\t\t-\t-\t%d\t\n", e.Name, purges.Load()-before)
			prev = m
			continue
		}
		// What the purge dropped from the cache.
		var mu sync.Mutex
		dropped := map[string]bool{}
		if err := each(prev, func(u string) error {
			cached, err := fetch(client, base+u, true)
			if err == nil && !cached {
				mu.Lock()
				dropped[u] = true
				mu.Unlock()
			}
			return err
		}); err != nil {
			return err
		}
		// What changed, from the two manifests: bytes changed, gone, new.
		next := map[string]string{}
		for _, f := range m.Files {
			next[f.URL()] = f.SHA256
		}
		changed, changedLive, hit := 0, 0, 0
		for _, f := range prev.Files {
			if sha, ok := next[f.URL()]; !ok || sha != f.SHA256 {
				changed++
				changedLive++
				if dropped[f.URL()] {
					hit++
				}
			}
			delete(next, f.URL())
		}
		changed += len(next)
		recall, precision := benchkit.Share(hit, changedLive), benchkit.Share(hit, len(dropped))
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%d\t\n", e.Name, changed, changedLive, len(dropped), recall, precision, purges.Load()-before)
		prev = m
	}
	tw.Flush()
	fmt.Println("cached URLs purged: live URLs fetched through the cache before the deploy that only-if-cached no longer finds after its purge.")
	return nil
}

// each calls f for every URL m serves, 8 at a time.
func each(m *manifest.Manifest, f func(u string) error) error {
	urls := make(chan string)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range urls {
				if err := f(u); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, file := range m.Files {
		urls <- file.URL()
	}
	close(urls)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// fetch GETs u, only from the cache when onlyCached, and says whether the
// cache had it.
func fetch(c *http.Client, u string, onlyCached bool) (cached bool, err error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return false, err
	}
	if onlyCached {
		req.Header.Set("Cache-Control", "only-if-cached")
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode != http.StatusGatewayTimeout, err
}
