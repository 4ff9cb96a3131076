package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Usage is what one command cost.
type Usage struct {
	Wall time.Duration
	CPU  time.Duration // user + system, the command's tree
	// RSS is the peak resident memory of the largest process in the
	// command's tree, in bytes (Linux folds waited-for descendants' peak
	// into a child's rusage).
	RSS int64
}

// Timed runs a command in dir with env added, its standard error passed
// through, and reports what it cost.
func Timed(dir string, env []string, name string, args ...string) (Usage, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Usage{}, fmt.Errorf("%s %v: %w", name, args, err)
	}
	u := Usage{Wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		u.RSS = ru.Maxrss * 1024
	}
	return u, nil
}
