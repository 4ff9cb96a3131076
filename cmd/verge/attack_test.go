package main

import (
	"bytes"
	"errors"
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
	"syscall"
	"testing"
	"time"
)

// Attacks on verge as the supervisor of the site program (issue 12, items
// 9 and 11), with the real CLI and a real site: a function whose goroutine
// panics, kill -9 of the site program, SIGTERM and SIGKILL of verge.

// crashFunc is a function whose goroutine panics: Go cannot recover that,
// and it takes the whole site program down.
const crashFunc = `package main

import (
	"net/http"
	"time"

	"github.com/vergehq/verge/site"
)

func crash(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
	go func() { panic("attack: a goroutine of /api/crash panicked") }()
	time.Sleep(time.Second)
	return nil
}
`

var crashSite struct {
	once sync.Once
	dir  string
}

// crashSiteDir is a scaffolded site with GET /api/crash added, shared by
// the attacks (its compiled program is cached in it).
func crashSiteDir(t *testing.T, bin string) string {
	t.Helper()
	crashSite.once.Do(func() {
		dir := filepath.Join(built.dir, "crash-site") // removed by TestMain
		if out, code := runVerge(t, bin, ".", "new", dir); code != 0 {
			t.Fatalf("verge new: exit %d\n%s", code, out)
		}
		main := filepath.Join(dir, "main.go")
		src, err := os.ReadFile(main)
		if err != nil || !bytes.Contains(src, []byte("\tsite.Main(s)")) {
			t.Fatalf("main.go: %v", err)
		}
		writeFile(t, main, strings.Replace(string(src), "\tsite.Main(s)", "\ts.Func(\"GET /api/crash\", crash)\n\tsite.Main(s)", 1))
		writeFile(t, filepath.Join(dir, "crash.go"), crashFunc)
		crashSite.dir = dir
	})
	if crashSite.dir == "" {
		t.Fatal("no crash site")
	}
	return crashSite.dir
}

// running is a verge process under attack.
type running struct {
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	log    bytes.Buffer
}

func (r *running) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(p)
}

func (r *running) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

// startVerge runs verge with args in dir until the test ends.
func startVerge(t *testing.T, bin, dir string, env []string, args ...string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout, r.cmd.Stderr = r, r
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.exited
		if t.Failed() {
			t.Logf("verge %s output:\n%s", strings.Join(args, " "), r.output())
		}
	})
	return r
}

// waitOK polls url until it answers 200.
func waitOK(t *testing.T, r *running, url string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-r.exited:
			t.Fatalf("verge exited before serving %s", url)
		default:
		}
	}
	t.Fatalf("%s never answered 200", url)
}

// descendants lists the processes under pid, from /proc.
func descendants(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("needs /proc:", err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, _, ok := procStat(p); ok {
			parent[p] = pp
		}
	}
	var out []int
	var walk func(int)
	walk = func(of int) {
		for p, pp := range parent {
			if pp == of {
				out = append(out, p)
				walk(p)
			}
		}
	}
	walk(pid)
	return out
}

// procStat reads a process's parent and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // the name may hold spaces
	if len(fields) < 2 {
		return 0, "", false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return ppid, fields[0], true
}

// alive says whether pid runs (a zombie does not).
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z"
}

// After a function's goroutine panics, and after kill -9 of the site
// program, verge origin keeps running: requests get 503 with Retry-After
// (never a refused connection) until the restarted program answers 200,
// and the log says why it died.
func TestOriginRestartsTheCrashedSiteProgram(t *testing.T) {
	bin := vergeBin(t)
	dir := crashSiteDir(t, bin)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	r := startVerge(t, bin, dir, nil, "origin", "--listen", addr)
	probe := "http://" + addr + "/api/related/hello-verge"
	waitOK(t, r, probe)

	attacks := []struct {
		name, logs string
		attack     func(t *testing.T)
	}{
		{"panic in a goroutine", "panic: attack: a goroutine of /api/crash panicked", func(t *testing.T) {
			// The first may reach the supervisor's 503s as they hand the
			// socket over to the program; the program's answer is no
			// answer: it dies.
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				resp, err := http.Get("http://" + addr + "/api/crash")
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 503 {
					t.Fatalf("GET /api/crash: %d", resp.StatusCode)
				}
			}
			t.Fatal("GET /api/crash never reached the program")
		}},
		{"kill -9 of the site program", "signal: killed", func(t *testing.T) {
			kids := descendants(t, r.cmd.Process.Pid)
			if len(kids) == 0 {
				t.Fatal("verge origin runs no site program")
			}
			for _, p := range kids {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			before := descendants(t, r.cmd.Process.Pid)
			a.attack(t)
			statuses := map[int]int{}
			retryAfter := ""
			client := &http.Client{Timeout: 10 * time.Second}
			deadline := time.Now().Add(time.Minute)
			for {
				resp, err := client.Get(probe)
				if errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("connection refused after the %s (statuses so far %v)", a.name, statuses)
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					statuses[resp.StatusCode]++
					if resp.StatusCode == 503 {
						retryAfter = resp.Header.Get("Retry-After")
					}
					if resp.StatusCode == 200 && statuses[503] > 0 {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no 503 then 200 within a minute: %v", statuses)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
				t.Errorf("503 with Retry-After %q", retryAfter)
			}
			select {
			case <-r.exited:
				t.Fatal("verge origin exited")
			default:
			}
			out := r.output()
			if !strings.Contains(out, a.logs) || !strings.Contains(out, "starting it again in") {
				t.Errorf("the log does not say why the program stopped (%q) and that it restarts", a.logs)
			}
			for _, p := range before {
				if alive(p) {
					t.Errorf("the crashed program %d still runs", p)
				}
			}
			t.Logf("statuses until the restarted program served: %v", statuses)
		})
	}
}

// stopCase is one way verge runs the site program as a server.
type stopCase struct {
	name  string
	env   []string
	args  []string
	probe string // a function's URL
	addr  string // verge's own listening address
}

func stopCases(t *testing.T, dir string) []stopCase {
	origin := func(name string, env ...string) stopCase {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		return stopCase{name, env, []string{"origin", "--listen", addr}, "http://" + addr + "/api/related/hello-verge", addr}
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return []stopCase{
		origin("origin"),
		origin("origin with the webhook", "VERGE_WEBHOOK_TOKEN=hook"),
		{"serve --prod", nil, []string{"serve", dir, "--prod", "--port", strconv.Itoa(port)}, "http://" + addr + "/api/related/hello-verge", addr},
	}
}

// SIGTERM of verge stops the site program before verge exits, and SIGKILL
// of verge kills it too (Pdeathsig): no process of verge's is left, and
// the port can be bound again.
func TestNoSiteProgramOutlivesVerge(t *testing.T) {
	bin := vergeBin(t)
	dir := crashSiteDir(t, bin)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		for _, tc := range stopCases(t, dir) {
			t.Run(fmt.Sprintf("%s/%s", tc.name, sig), func(t *testing.T) {
				r := startVerge(t, bin, dir, tc.env, tc.args...)
				waitOK(t, r, tc.probe)
				kids := descendants(t, r.cmd.Process.Pid)
				if len(kids) == 0 {
					t.Fatal("verge runs no site program")
				}
				start := time.Now()
				r.cmd.Process.Signal(sig)
				select {
				case <-r.exited:
				case <-time.After(30 * time.Second):
					t.Fatalf("verge did not exit within 30 s of %s", sig)
				}
				if sig == syscall.SIGTERM && r.cmd.ProcessState.ExitCode() != 0 {
					t.Errorf("verge exited %v on SIGTERM, want 0", r.cmd.ProcessState)
				}
				for _, p := range kids {
					for alive(p) {
						if time.Since(start) > 20*time.Second {
							t.Fatalf("process %d of verge still runs 20 s after %s of verge", p, sig)
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				for {
					ln, err := net.Listen("tcp", tc.addr)
					if err == nil {
						ln.Close()
						break
					}
					if time.Since(start) > 20*time.Second {
						t.Fatalf("port %s not free 20 s after %s of verge: %v", tc.addr, sig, err)
					}
					time.Sleep(20 * time.Millisecond)
				}
				t.Logf("%d processes gone, port free, %s after %s", len(kids), time.Since(start).Round(time.Millisecond), sig)
			})
		}
	}
}
