package gosite

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Command prepares the compiled site program bin (from Compile) to run
// with args in the site directory root: VERGE_ROOT names the site and
// VERGE_BUILD_KEY the program, so a build reuses pages only from the same
// program. When ctx is done the program is interrupted, not killed, so it
// can remove temporary output; it is killed if it has not stopped within
// ten seconds. The program, which runs the site's own code and serves
// its functions, never sees Verge's secrets (see secret).
func Command(ctx context.Context, root, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = root
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !secret(name) {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "VERGE_ROOT="+root,
		"VERGE_BUILD_KEY="+strings.TrimSuffix(filepath.Base(bin), filepath.Ext(bin)))
	return cmd
}

// secret says whether an environment variable holds one of Verge's
// tokens: the CLI uses them, and the site program (user code serving
// requests) has no need of them, so a function that logs its environment
// cannot leak them.
func secret(name string) bool {
	switch name {
	case "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "VERGE_PURGE_TOKEN", "VERGE_WEBHOOK_TOKEN":
		return true
	}
	return false
}

// Origin is a site program serving the site's API functions on a
// loopback port.
type Origin struct {
	Addr string // host:port it listens on
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartOrigin starts the site program bin (of the site in root) in origin
// mode on a free loopback port, its output to logs, and waits until it
// accepts connections, for a minute at most. A program that ends first is
// an error, an *exec.ExitError when it exited with a status.
func StartOrigin(ctx context.Context, root, bin string, logs io.Writer) (*Origin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	o := &Origin{Addr: ln.Addr().String(), done: make(chan struct{})}
	ln.Close()
	o.cmd = Command(ctx, root, bin, "origin", "--listen", o.Addr)
	o.cmd.Stdout, o.cmd.Stderr = logs, logs
	if err := o.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { o.err = o.cmd.Wait(); close(o.done) }()
	deadline := time.Now().Add(time.Minute)
	for {
		if conn, err := net.DialTimeout("tcp", o.Addr, time.Second); err == nil {
			conn.Close()
			return o, nil
		}
		select {
		case <-o.done:
			if o.err == nil {
				o.err = errors.New("it exited")
			}
			return nil, o.err
		case <-ctx.Done():
			o.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			o.Stop()
			return nil, errors.New("it did not listen within a minute")
		}
	}
}

// Done is closed when the program has ended; Err then says how.
func (o *Origin) Done() <-chan struct{} { return o.done }

// Err is how the program ended, once Done is closed.
func (o *Origin) Err() error { return o.err }

// Stop interrupts the program and waits for it to end.
func (o *Origin) Stop() {
	_ = o.cmd.Process.Signal(os.Interrupt)
	<-o.done
}
