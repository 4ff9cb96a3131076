//go:build !unix

package childproc

import (
	"os"
	"os/exec"
)

type signal int

const (
	sigTerm signal = iota
	sigKill
)

// Start starts cmd. There are no process groups here: a child is stopped
// on its own.
func Start(cmd *exec.Cmd) error { return cmd.Start() }

// signalGroup interrupts or kills the child; where interrupting is not
// supported (Windows), it kills it.
func signalGroup(cmd *exec.Cmd, sig signal) error {
	if cmd.Process == nil {
		return nil
	}
	if sig == sigTerm {
		if err := cmd.Process.Signal(os.Interrupt); err == nil {
			return nil
		}
	}
	return cmd.Process.Kill()
}

// KillGroup does nothing: there is no group to kill.
func KillGroup(cmd *exec.Cmd) {}
