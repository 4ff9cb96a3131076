//go:build linux

package childproc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// Start starts cmd in its own process group, with Pdeathsig SIGKILL: the
// kernel kills the child when Verge dies, however it dies.
//
// Pdeathsig fires when the thread that forked the child exits, not the
// process (prctl(2); golang/go#27505), so children are forked from one
// goroutine locked to its OS thread for good: that thread lives as long
// as Verge does.
func Start(cmd *exec.Cmd) error {
	prepare(cmd)
	starterOnce.Do(func() { go starter() })
	req := startReq{cmd: cmd, err: make(chan error, 1)}
	starts <- req
	return <-req.err
}

func prepare(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

type startReq struct {
	cmd *exec.Cmd
	err chan error
}

var (
	starterOnce sync.Once
	starts      = make(chan startReq)
)

// starter forks every child, from a thread it never gives back.
func starter() {
	runtime.LockOSThread() // never unlocked: the thread must not exit before Verge
	for req := range starts {
		req.err <- req.cmd.Start()
	}
}
