//go:build linux

// Command edgemem measures what hostile clients make `verge edge
// --origin` hold in memory against its --cache-bytes budget (issue 12,
// items 3 and 5). It runs the real binary in front of an origin of its
// own and prints the process's RSS from /proc/PID/status:
//
//   - stalled readers: N clients each send GET /big?n=<i> for an 8 MB
//     cacheable answer and never read it (SO_RCVBUF 4096);
//   - key explosion: M distinct URLs of small cacheable answers, read.
//
// Each run gets a fresh edge process. The target is RSS <= budget + 128 MiB.
//
// Usage:
//
//	go run ./examples/bench/edgemem [-budget 67108864] [-clients 60,100] [-urls 168551] [-verge PATH]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
)

func main() {
	budget := flag.Int64("budget", 64<<20, "the edge's --cache-bytes")
	clients := flag.String("clients", "60,100", "stalled-reader runs: clients per run, comma-separated")
	size := flag.Int("size", 8_000_000, "bytes of each /big answer")
	urls := flag.Int("urls", 168551, "distinct URLs of the key-explosion run (0: skip it)")
	verge := flag.String("verge", "", "the verge binary (default: built from this checkout)")
	flag.Parse()
	if err := run(*budget, *clients, *size, *urls, *verge); err != nil {
		fmt.Fprintln(os.Stderr, "edgemem:", err)
		os.Exit(1)
	}
}

func run(budget int64, clientList string, size, urls int, verge string) error {
	if verge == "" {
		repo, err := benchkit.RepoRoot()
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "edgemem")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if verge, err = benchkit.BuildVerge(repo, dir); err != nil {
			return fmt.Errorf("build verge: %w", err)
		}
	}
	origin, wrote, err := startOrigin(size)
	if err != nil {
		return err
	}
	limit := budget + 128<<20
	fmt.Printf("verge edge --origin %s --cache-bytes %d (%d MiB); target RSS <= %d MiB\n", origin, budget, budget>>20, limit>>20)
	for _, f := range strings.Split(clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-clients %q: want counts such as 60,100", clientList)
		}
		if err := stalled(verge, origin, budget, limit, n, wrote); err != nil {
			return err
		}
	}
	if urls > 0 {
		return explode(verge, origin, budget, limit, urls)
	}
	return nil
}

// startOrigin serves /big (size bytes, cacheable for 10 minutes) and a
// small cacheable page for every other path, counting /big's bytes out.
func startOrigin(size int) (string, *atomic.Int64, error) {
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	var wrote atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		if r.URL.Path != "/big" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<p>a small page</p>")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for off := 0; off < size; off += 64 << 10 {
			n, err := w.Write(body[off:min(off+64<<10, size)])
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	return "http://" + ln.Addr().String(), &wrote, nil
}

// edge is a running verge edge process.
type edge struct {
	cmd  *exec.Cmd
	addr string
}

func startEdge(verge, origin string, budget int64) (*edge, error) {
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(verge, "edge", "--origin", origin, "--cache-bytes", strconv.FormatInt(budget, 10), "--listen", addr, "-q")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives this program
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s edge: %w", verge, err)
	}
	if err := benchkit.WaitListening(addr, 10*time.Second); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("verge edge did not listen on %s: %w", addr, err)
	}
	return &edge{cmd: cmd, addr: addr}, nil
}

func (e *edge) stop() {
	e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
}

// rss is the process's resident and peak resident set, in bytes.
func (e *edge) rss() (now, peak int64, err error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(e.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			now = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return now, peak, nil
}

func report(what string, e *edge, limit int64) error {
	now, peak, err := e.rss()
	if err != nil {
		return err
	}
	verdict := "ok"
	if peak > limit {
		verdict = "OVER"
	}
	fmt.Printf("%-34s RSS %5d MiB, peak %5d MiB: %s\n", what, now>>20, peak>>20, verdict)
	return nil
}

// stalled opens n clients that ask for /big?n=<i> and never read, waits
// until the origin has sent all it will, and reports the edge's RSS.
func stalled(verge, origin string, budget, limit int64, n int, wrote *atomic.Int64) error {
	e, err := startEdge(verge, origin, budget)
	if err != nil {
		return err
	}
	defer e.stop()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
		if err := c.(*net.TCPConn).SetReadBuffer(4096); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(c, "GET /big?n=%d HTTP/1.1\r\nHost: %s\r\n\r\n", i, e.addr); err != nil {
			return err
		}
	}
	// Settled once the origin has written nothing more for two seconds.
	last, still := wrote.Load(), 0
	for deadline := time.Now().Add(60 * time.Second); still < 20 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if w := wrote.Load(); w == last {
			still++
		} else {
			last, still = w, 0
		}
	}
	return report(fmt.Sprintf("%d stalled clients, 8 MB each:", n), e, limit)
}

// explode asks for urls distinct small pages over 8 kept-alive
// connections and reports the edge's RSS.
func explode(verge, origin string, budget, limit int64, urls int) error {
	e, err := startEdge(verge, origin, budget)
	if err != nil {
		return err
	}
	defer e.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}, Timeout: 30 * time.Second}
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(urls); i = next.Add(1) - 1 {
				resp, err := client.Get(fmt.Sprintf("http://%s/page?n=%d", e.addr, i))
				if err != nil {
					failed.Store(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return fmt.Errorf("key explosion: %w", err)
	}
	return report(fmt.Sprintf("%d distinct URLs (%s):", urls, time.Since(start).Round(time.Second)), e, limit)
}
