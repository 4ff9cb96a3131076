package devserve

import (
	"context"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/gosite"
	"github.com/vergehq/verge/internal/protocol"
)

// process is one running site program.
type process struct {
	bin   string
	cmd   *exec.Cmd
	ready <-chan struct{} // closed when it serves its first build
	done  chan struct{}   // closed when it exited; err is then set
	err   error

	mu    sync.Mutex
	stdin io.WriteCloser
}

// startProcess starts the program bin serving on the supervisor's socket,
// in templ's dev mode.
func startProcess(sv *supervisor, bin string) (*process, error) {
	// Stopped by stop, not by a context.
	cmd := gosite.Command(context.Background(), sv.root, bin, "serve")
	cmd.Env = append(cmd.Env,
		"TEMPL_DEV_MODE=true",
		"TEMPL_DEV_MODE_ROOT="+sv.textDir,
		protocol.EnvControl+"=stdin",
	)
	cmd.Stdout, cmd.Stderr = sv.out, sv.errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	h, err := protocol.Pass(cmd, sv.sock)
	if err != nil {
		stdin.Close()
		return nil, err
	}
	err = childproc.Start(cmd)
	// Starting it made the shared socket blocking (File.Fd): the error
	// page's accept, on a copy, must not block a thread.
	if rc, cerr := sv.sock.SyscallConn(); cerr == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.SetNonblock(int(fd), true) })
	}
	h.Started(err)
	if err != nil {
		return nil, err
	}
	p := &process{bin: bin, cmd: cmd, stdin: stdin, ready: h.Ready(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		childproc.KillGroup(cmd) // what it started and left behind
		close(p.done)
	}()
	return p, nil
}

// send writes a control message; a program that has gone is ignored.
func (p *process) send(m protocol.ControlMsg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = protocol.WriteControl(p.stdin, m)
}

// stop interrupts the program (SIGTERM to its group), which closes its
// pages' event streams and stops accepting, and kills the group if it has
// not exited after a few seconds.
func (p *process) stop() {
	childproc.Stop(p.cmd, p.done, 5*time.Second)
}
