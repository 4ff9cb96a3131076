//go:build unix && !linux

package childproc

import (
	"os/exec"
	"syscall"
)

// Start starts cmd in its own process group. Only Linux has Pdeathsig:
// elsewhere a child of a Verge killed by SIGKILL is not stopped for it.
func Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	return cmd.Start()
}
