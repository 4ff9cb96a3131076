//go:build unix

package childproc

import (
	"os/exec"
	"syscall"
)

type signal = syscall.Signal

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// signalGroup sends sig to cmd's process group (Start made the child its
// leader), so that whatever the child started gets it too.
func signalGroup(cmd *exec.Cmd, sig signal) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// KillGroup kills what is left of cmd's process group, after cmd.Wait:
// processes the child started and left behind. The group's id stays
// reserved while any member lives, so this reaches no stranger.
func KillGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
