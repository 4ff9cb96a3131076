// Package childproc owns how Verge starts and stops the processes it runs
// (the site program, go build, go env, go mod tidy) so that none of them
// outlives it: each runs in its own process group, is stopped by
// signalling that group (the grace period, then SIGKILL), and on Linux
// is killed by the kernel the moment Verge dies, even by kill -9
// (Pdeathsig). Every child of Verge goes through Start or Run.
package childproc

import (
	"bytes"
	"os/exec"
	"time"
)

// Grace is how long a stopped child has to exit after SIGTERM before its
// group is killed: more than the five seconds the site program gives its
// requests in flight when it shuts down.
const Grace = 10 * time.Second

// Run starts cmd with Start and waits for it, as cmd.Run would; then it
// kills whatever the child left running in its group.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd); err != nil {
		return err
	}
	err := cmd.Wait()
	KillGroup(cmd)
	return err
}

// Output runs cmd with Run and returns its standard output, as
// cmd.Output would (the caller may set cmd.Stderr).
func Output(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	err := Run(cmd)
	return out.Bytes(), err
}

// CombinedOutput runs cmd with Run and returns its standard output and
// error together, as cmd.CombinedOutput would.
func CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer // one writer for both: exec writes it from one goroutine
	cmd.Stdout, cmd.Stderr = &out, &out
	err := Run(cmd)
	return out.Bytes(), err
}

// Interrupt asks cmd's process group to stop (SIGTERM), for exec.Cmd's
// Cancel: the child gets the grace of cmd.WaitDelay, after which exec
// kills it, and Run kills the rest of its group.
func Interrupt(cmd *exec.Cmd) func() error {
	return func() error { return signalGroup(cmd, sigTerm) }
}

// Kill kills cmd's process group at once, for exec.Cmd's Cancel.
func Kill(cmd *exec.Cmd) func() error {
	return func() error { return signalGroup(cmd, sigKill) }
}

// Stop stops a started child: SIGTERM to its group, then, if done (closed
// once cmd.Wait has returned) is not closed within grace, SIGKILL to the
// group. It returns once done is closed, having killed what was left of
// the group.
func Stop(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	_ = signalGroup(cmd, sigTerm)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = signalGroup(cmd, sigKill)
		<-done
	}
	KillGroup(cmd)
}
