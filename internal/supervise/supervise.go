// Package supervise keeps a site program serving on a socket Verge owns,
// for `verge origin` and `verge serve --prod`. It starts the program with
// the socket inherited (devserver.EnvListenFD), and when the program dies (a
// panic in a goroutine a function started, which Go cannot recover; kill
// -9; running out of memory) it logs why, with the panic from the end of
// the program's stderr, answers 503 with Retry-After on the socket itself
// meanwhile, so that no connection is refused and the edge's
// stale-if-error applies, and starts it again with backoff: 100 ms
// doubling to 10 s, back to 100 ms once a program has served a while. A
// program that dies at every start is retried at that pace for good, and
// the log says it is crash-looping. The program never outlives Run: on
// return it has stopped (SIGTERM to its group, SIGKILL after the grace).
package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"time"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/internal/gosite"
)

// Config is what Run supervises.
type Config struct {
	Root, Bin string   // the site directory and its compiled program
	Args      []string // the program's command line, such as origin
	// Listener is the socket the program serves on. Run serves its 503s
	// on it while no program does; the caller closes it after Run.
	Listener *net.TCPListener
	Output   io.Writer // the program's stdout and stderr
	Log      io.Writer // why the program stopped, and when it starts again
	// Ready, if set, is called once, when the first program serves.
	Ready func()

	// Zero means the default: 100 ms, 10 s, 30 s, childproc.Grace.
	MinBackoff, MaxBackoff time.Duration
	Healthy                time.Duration // served this long: the backoff starts over
	Grace                  time.Duration // SIGTERM to SIGKILL when stopping
}

func (c *Config) defaults() {
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.Healthy == 0 {
		c.Healthy = 30 * time.Second
	}
	if c.Grace == 0 {
		c.Grace = childproc.Grace
	}
}

// Run keeps the program serving until ctx is done, then stops it and
// returns nil. It returns an error only when it cannot supervise at all.
func Run(ctx context.Context, cfg Config) error {
	cfg.defaults()
	sock, err := cfg.Listener.File() // a copy, for the program and the fallback
	if err != nil {
		return fmt.Errorf("supervise: the listening socket: %w", err)
	}
	defer sock.Close()
	fb := newFallback(sock)
	fb.start(time.Now())
	defer fb.stop()

	backoff := cfg.MinBackoff
	unready := 0 // programs in a row that died before serving
	for {
		p, err := start(&cfg, sock, fb)
		if err != nil {
			fmt.Fprintf(cfg.Log, "verge: could not start the site program: %v; trying again in %s\n", err, backoff)
		} else {
			served, stopped := p.watch(ctx, &cfg, fb)
			if stopped {
				return nil
			}
			switch {
			case !served:
				unready++
			case time.Since(p.servedAt) >= cfg.Healthy:
				backoff, unready = cfg.MinBackoff, 0
			default:
				unready = 0
			}
			fmt.Fprintln(cfg.Log, p.why(unready, backoff, cfg.MaxBackoff))
		}
		fb.start(time.Now().Add(backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
	}
}

// program is one run of the site program.
type program struct {
	cmd      *exec.Cmd
	ready    chan struct{} // closed when it says it serves
	done     chan struct{} // closed when it has exited; err is then set
	err      error
	tail     *tail
	started  time.Time
	servedAt time.Time
}

// start starts the program on sock, its stderr also kept in a tail. The
// fallback stops accepting while the program is forked (connections wait
// in the backlog): os.StartProcess makes the socket blocking (File.Fd),
// and the mode belongs to the socket, shared by every copy, so a
// fallback accepting then could block a thread, and its close with it.
// Once the mode is restored, the fallback accepts again until the
// program serves.
func start(cfg *Config, sock *os.File, fb *fallback) (*program, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyW.Close()
	// Stopped by watch, not by a context.
	cmd := gosite.Command(context.Background(), cfg.Root, cfg.Bin, cfg.Args...)
	cmd.Env = append(cmd.Env,
		devserver.EnvListenFD+"=3", // ExtraFiles[0]
		devserver.EnvReadyFD+"=4",  // ExtraFiles[1]
	)
	cmd.ExtraFiles = []*os.File{sock, readyW}
	p := &program{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{}), tail: newTail(16 << 10), started: time.Now()}
	cmd.Stdout, cmd.Stderr = cfg.Output, io.MultiWriter(cfg.Output, p.tail)
	until, paused := fb.pause()
	err = childproc.Start(cmd)
	restoreNonblock(sock)
	if paused {
		fb.start(until)
	}
	if err != nil {
		readyR.Close()
		return nil, err
	}
	go func() {
		defer readyR.Close()
		buf := make([]byte, len("ready\n"))
		if _, err := io.ReadFull(readyR, buf); err == nil && string(buf) == "ready\n" {
			close(p.ready)
		}
	}()
	go func() {
		p.err = cmd.Wait()
		childproc.KillGroup(cmd)
		close(p.done)
	}()
	return p, nil
}

// watch waits for the program to serve, then hands the socket over to it
// from the fallback, and waits for it to exit. served says whether it
// served; stopped that ctx ended it (it has been stopped).
func (p *program) watch(ctx context.Context, cfg *Config, fb *fallback) (served, stopped bool) {
	select {
	case <-p.ready:
		p.servedAt = time.Now()
		fb.stop()
		if cfg.Ready != nil {
			cfg.Ready()
			cfg.Ready = nil
		}
	case <-p.done:
		return false, false
	case <-ctx.Done():
		childproc.Stop(p.cmd, p.done, cfg.Grace)
		return false, true
	}
	select {
	case <-p.done:
		return true, false
	case <-ctx.Done():
		childproc.Stop(p.cmd, p.done, cfg.Grace)
		return true, true
	}
}

// why is the log line for a program that exited.
func (p *program) why(unready int, backoff, maxBackoff time.Duration) string {
	status := "it exited"
	if p.err != nil {
		status = p.err.Error() // "exit status 2", "signal: killed"
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && ee.ExitCode() >= 0 { // exited, not signalled: it may have said why
		if last := p.tail.summary(); last != "" {
			status += ": " + last
		}
	}
	if unready >= 2 {
		return fmt.Sprintf("verge: the site program is crash-looping: it exited before serving %d times in a row (%s); answering 503, starting it again in %s (backing off up to %s)",
			unready, status, backoff, maxBackoff)
	}
	when := "before serving"
	if !p.servedAt.IsZero() {
		when = "after serving for " + time.Since(p.servedAt).Round(time.Millisecond).String()
	}
	return fmt.Sprintf("verge: the site program stopped %s (%s); answering 503, starting it again in %s", when, status, backoff)
}
