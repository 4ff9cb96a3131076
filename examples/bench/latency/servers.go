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
	peakRSS  int64 // of the process tree, sampled
	peakHWM  int64 // VmHWM of the largest child
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
// process tree: verge serve runs the site program as a child in a process
// group of its own, and the site program is where the pages are.
func (s *server) sample() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		m := treeMemory(s.cmd.Process.Pid)
		s.mu.Lock()
		s.peakRSS = max(s.peakRSS, m.rss)
		s.peakHWM = max(s.peakHWM, m.childHWM)
		s.mu.Unlock()
	}
}

// peak returns the largest sum of the tree's resident memory sampled,
// and the largest peak (VmHWM) the kernel recorded for one of the
// server's children (the site program).
func (s *server) peak() (tree, child int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakRSS, s.peakHWM
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

// memory is what one sample of a process tree's memory found.
type memory struct {
	rss      int64 // VmRSS summed over the tree
	childHWM int64 // the largest VmHWM of a process below the root
}

// treeMemory samples the memory of the process root and its descendants
// (found through /proc/*/stat's parent pids, whatever their process
// group), the Go toolchain left out.
func treeMemory(root int) memory {
	ents, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var m memory
	for queue := []int{root}; len(queue) > 0; queue = queue[1:] {
		pid := queue[0]
		queue = append(queue, children[pid]...)
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		if err != nil || toolchain(string(data)) {
			continue
		}
		m.rss += statusKB(string(data), "VmRSS:") * 1024
		if pid != root {
			m.childHWM = max(m.childHWM, statusKB(string(data), "VmHWM:")*1024)
		}
	}
	return m
}

// parentPID reads a process's parent from /proc/PID/stat, whose second
// field (the command name, in parentheses) may hold spaces.
func parentPID(pid int) (int, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:])) // state, ppid, ...
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// statusKB reads a "Key:   123 kB" line of /proc/PID/status.
func statusKB(status, key string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
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
