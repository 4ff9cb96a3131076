package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a dev server under measurement.
type server struct {
	cmd     *exec.Cmd
	base    string
	started time.Time

	mu       sync.Mutex
	peakRSS  int64
	stop     chan struct{}
	stopOnce sync.Once
}

// startServer runs cmd, sampling the memory of its process tree, and
// returns once "/" answers with a whole page: the time to first page.
func startServer(cmd *exec.Cmd, port int) (*server, error) {
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if os.Getenv("LATENCY_QUIET") == "" {
		cmd.Stderr = prefixWriter(os.Stderr, filepath.Base(cmd.Path)+": ")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &server{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), stop: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go s.sample()
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := client.Get(s.base + "/")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && strings.Contains(string(body), "</html>") {
			return s, nil
		}
	}
	s.close()
	return nil, fmt.Errorf("%s did not serve / within 5 minutes", cmd.Path)
}

// firstPage is how long the server took to serve its first page.
func (s *server) firstPage(at time.Time) time.Duration { return at.Sub(s.started) }

// sample records the largest total resident memory of the server's
// process group (verge serve runs the site program as a child).
func (s *server) sample() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		rss := groupRSS(s.cmd.Process.Pid)
		s.mu.Lock()
		s.peakRSS = max(s.peakRSS, rss)
		s.mu.Unlock()
	}
}

func (s *server) peak() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakRSS
}

// close stops the server; it may be called more than once.
func (s *server) close() { s.stopOnce.Do(s.shutdown) }

func (s *server) shutdown() {
	close(s.stop)
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// toolchain reports whether a /proc status is of the Go toolchain, which
// verge serve runs to recompile the site: its memory is the compiler's,
// not the server's.
func toolchain(status string) bool {
	name, _, _ := strings.Cut(strings.TrimPrefix(status, "Name:"), "\n")
	switch strings.TrimSpace(name) {
	case "go", "compile", "link", "asm", "cgo", "vet":
		return true
	}
	return false
}

// groupRSS sums VmRSS over the processes of process group pgid, the Go
// toolchain left out.
func groupRSS(pgid int) int64 {
	ents, _ := os.ReadDir("/proc")
	var total int64
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err != nil || g != pgid {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil || toolchain(string(data)) {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				total += kb * 1024
			}
		}
	}
	return total
}

// prefixWriter prefixes each line written to w.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Fprintln(w, prefix+sc.Text())
		}
	}()
	return pw
}
