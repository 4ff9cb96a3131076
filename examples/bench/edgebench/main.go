// Command edgebench measures the Verge edge against the servers it
// replaces, on this machine, in one run. With wrk (Debian's package) it
// prints the requests per second and p99 latency of verge edge serving a
// page of the built 1,000-post corpus from its store, against nginx
// (nginx-light) serving the same file from disk; and of verge edge
// --origin answering a cached API function response, against Varnish
// (varnish) caching the same response from the same origin.
//
// Usage:
//
//	go run ./examples/bench/edgebench [-posts 1000] [-duration 10s]
package main

import (
	"cmp"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
)

func main() {
	posts := flag.Int("posts", 1000, "corpus size")
	duration := flag.Duration("duration", 10*time.Second, "wrk run length")
	conns := flag.Int("connections", 64, "wrk connections")
	rounds := flag.Int("rounds", 3, "alternating runs of each side; the median counts")
	shared := flag.String("shared", "", "the shared/ directory (default: ../shared beside the repository)")
	flag.Parse()
	if err := run(*posts, *duration, *conns, *rounds, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "edgebench:", err)
		os.Exit(1)
	}
}

// result is one wrk run.
type result struct {
	rps float64
	p99 time.Duration
}

func run(posts int, duration time.Duration, conns, rounds int, sharedFlag string) error {
	for _, tool := range []string{"wrk", "nginx", "varnishd"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err != nil {
				return fmt.Errorf("%s not found: apt-get install wrk nginx-light varnish", tool)
			}
		}
	}
	repo, err := benchkit.RepoRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "verge-edgebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Varnish compiles its VCL as an unprivileged user, which must reach it.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	verge, err := benchkit.BuildVerge(repo, work)
	if err != nil {
		return err
	}
	corpus := filepath.Join(work, "corpus")
	fmt.Fprintf(os.Stderr, "generating and building %d posts...\n", posts)
	if err := benchkit.GenCorpus(benchkit.SharedDir(repo, sharedFlag), corpus, posts); err != nil {
		return err
	}
	dist, store := filepath.Join(work, "dist"), filepath.Join(work, "store")
	env := []string{"VERGE_CORPUS=" + corpus}
	if err := benchkit.Sh(repo, env, verge, "build", "examples/bench", "-q", "--out", dist); err != nil {
		return err
	}
	if err := benchkit.Sh(repo, nil, verge, "deploy", "--dist", dist, "--store", store); err != nil {
		return err
	}
	const page = "/posts/post-00010/"

	// Static: verge edge from the store vs nginx from disk.
	edgeAddr, nginxAddr := freeAddr(), freeAddr()
	stopEdge, err := start(work, "edge", edgeAddr, verge, "edge", "--store", store, "--listen", edgeAddr, "-q")
	if err != nil {
		return err
	}
	defer stopEdge()
	stopNginx, err := startNginx(work, dist, nginxAddr)
	if err != nil {
		return err
	}
	defer stopNginx()

	// Cached function: verge edge --origin vs Varnish, both in front of
	// the blog's origin.
	originAddr, cacheAddr, varnishAddr := freeAddr(), freeAddr(), freeAddr()
	stopOrigin, err := start(work, "origin", originAddr, verge, "origin", filepath.Join(repo, "examples", "blog"), "--listen", originAddr)
	if err != nil {
		return err
	}
	defer stopOrigin()
	stopCache, err := start(work, "cache", cacheAddr, verge, "edge", "--origin", "http://"+originAddr, "--listen", cacheAddr, "-q")
	if err != nil {
		return err
	}
	defer stopCache()
	stopVarnish, err := startVarnish(work, originAddr, varnishAddr)
	if err != nil {
		return err
	}
	defer stopVarnish()
	const fn = "/api/related/hello-verge"

	for _, a := range []string{edgeAddr + page, nginxAddr + page, cacheAddr + fn, varnishAddr + fn} {
		if err := warm("http://" + a); err != nil {
			return err
		}
	}
	measure := func(url string) (result, error) { return wrk(url, duration, conns) }
	type row struct {
		name, verge, peer string
		target            float64
	}
	rows := []row{
		{"page from the store vs nginx (file)", "http://" + edgeAddr + page, "http://" + nginxAddr + page, 1.0},
		{"cached function vs Varnish", "http://" + cacheAddr + fn, "http://" + varnishAddr + fn, 1.2},
	}
	fmt.Printf("verge edge vs nginx and Varnish, wrk %d connections, median of %d rounds of %s each, %d cores, %d posts\n\n", conns, rounds, duration, benchkit.NumCPU(), posts)
	fmt.Printf("%-38s %12s %10s %12s %10s %8s   %s\n", "", "verge req/s", "p99", "peer req/s", "p99", "ratio", "target")
	for _, r := range rows {
		// Rounds alternate between the two, and each side's median round
		// counts: this VM's throughput drifts by a third from one run to
		// the next, which a single pair of runs would read as a ratio.
		var vs, ps []result
		for range rounds {
			v, err := measure(r.verge)
			if err != nil {
				return err
			}
			p, err := measure(r.peer)
			if err != nil {
				return err
			}
			vs, ps = append(vs, v), append(ps, p)
		}
		v, p := median(vs), median(ps)
		ratio := v.rps / p.rps
		verdict := "met"
		if ratio < r.target {
			verdict = "NOT met"
		}
		fmt.Printf("%-38s %12.0f %10s %12.0f %10s %7.2fx   >= %.1fx: %s\n", r.name, v.rps, v.p99.Round(10*time.Microsecond), p.rps, p.p99.Round(10*time.Microsecond), ratio, r.target, verdict)
	}
	return nil
}

// start runs a server command and waits until addr answers.
func start(work, name, addr, bin string, args ...string) (func(), error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = work
	log, _ := os.Create(filepath.Join(work, name+".log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		log.Close()
	}
	if err := benchkit.WaitListening(addr, 2*time.Minute); err != nil {
		stop()
		data, _ := os.ReadFile(filepath.Join(work, name+".log"))
		return nil, fmt.Errorf("%s did not start: %v\n%s", name, err, data)
	}
	return stop, nil
}

func startNginx(work, root, addr string) (func(), error) {
	conf := filepath.Join(work, "nginx.conf")
	cfg := fmt.Sprintf(`worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=10000 inactive=60s;
  client_body_temp_path %[1]s/nginx-body;
  proxy_temp_path %[1]s/nginx-proxy;
  fastcgi_temp_path %[1]s/nginx-fastcgi;
  uwsgi_temp_path %[1]s/nginx-uwsgi;
  scgi_temp_path %[1]s/nginx-scgi;
  server {
    listen %[2]s;
    root %[3]s;
    location / { index index.html; etag on; }
  }
}
`, work, addr, root)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return start(work, "nginx", addr, "nginx", "-c", conf, "-g", "daemon off;")
}

func startVarnish(work, origin, addr string) (func(), error) {
	host, port, _ := net.SplitHostPort(origin)
	vcl := filepath.Join(work, "bench.vcl")
	// Varnish does not read CDN-Cache-Control: give the function's
	// response the TTL that header asks of the edge.
	if err := os.WriteFile(vcl, []byte(fmt.Sprintf(`vcl 4.1;
backend default { .host = "%s"; .port = "%s"; }
sub vcl_backend_response { set beresp.ttl = 1h; }
`, host, port)), 0o644); err != nil {
		return nil, err
	}
	return start(work, "varnish", addr, "varnishd", "-F", "-f", vcl, "-a", addr, "-n", filepath.Join(work, "varnish"), "-s", "malloc,64m")
}

// wrk runs the load and reads its requests per second and p99.
func wrk(url string, d time.Duration, conns int) (result, error) {
	out, err := exec.Command("wrk", "-t", strconv.Itoa(max(1, benchkit.NumCPU())), "-c", strconv.Itoa(conns),
		"-d", d.String(), "--latency", url).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %v\n%s", url, err, out)
	}
	var r result
	if m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := regexp.MustCompile(`99%\s+([\d.]+)(us|ms|s)`).FindSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
		r.p99 = time.Duration(v * float64(unit))
	}
	if r.rps == 0 || strings.Contains(string(out), "Non-2xx") {
		return r, fmt.Errorf("wrk %s: no successful requests or errors\n%s", url, out)
	}
	return r, nil
}

// median is the round with the median requests per second.
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return cmp.Compare(a.rps, b.rps) })
	return s[len(s)/2]
}

func warm(url string) error {
	for range 3 {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %d", url, resp.StatusCode)
		}
	}
	return nil
}

func freeAddr() string {
	port, err := benchkit.FreePort()
	if err != nil {
		panic(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}
