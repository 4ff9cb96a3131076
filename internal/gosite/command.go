package gosite

import (
	"context"
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
// ten seconds.
func Command(ctx context.Context, root, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERGE_ROOT="+root,
		"VERGE_BUILD_KEY="+strings.TrimSuffix(filepath.Base(bin), filepath.Ext(bin)))
	return cmd
}
