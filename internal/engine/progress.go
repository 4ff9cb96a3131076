package engine

// This file holds the progress a build to disk prints, and the timing of
// its phases.

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows how a build goes: one updating line on a terminal, plain
// lines otherwise (CI logs should not fill with carriage returns).
type progress struct {
	w        io.Writer
	terminal bool
	phase    string
	total    int
	count    atomic.Int64
	mu       sync.Mutex
	last     time.Time
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

func (p *progress) line(msg string) {
	if p.w == nil {
		return
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", msg)
		return
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) start(phase string, total int) {
	p.phase, p.total = phase, total
	p.count.Store(0)
	if p.w != nil && !p.terminal {
		fmt.Fprintf(p.w, "%s: %d pages\n", phase, total)
	}
}

// tick counts one finished item; it may be called from any goroutine.
func (p *progress) tick() {
	n := p.count.Add(1)
	if p.w == nil || !p.terminal {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond || int(n) == p.total {
		p.last = now
		fmt.Fprintf(p.w, "\r\033[K%s %d/%d", p.phase, n, p.total)
	}
}

func (p *progress) done() {
	if p.w != nil && p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// timer measures consecutive build phases.
type timer struct{ last time.Time }

func newTimer() *timer { return &timer{last: time.Now()} }

func (t *timer) lap(name string) Phase {
	now := time.Now()
	p := Phase{Name: name, Duration: now.Sub(t.last)}
	t.last = now
	return p
}
