package gosite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/protocol"
)

// Command prepares the compiled site program bin (from Compile) to run
// with args in the site directory root: protocol.EnvRoot names the site
// and protocol.EnvBuildKey the program, so a build reuses pages only from the same
// program. Start it with childproc.Start or Run, never cmd.Start, so that
// it runs in its own process group and dies with Verge. When ctx is done
// the group gets SIGTERM, not SIGKILL, so the program can remove
// temporary output and finish its requests; it is killed if it has not
// stopped within childproc.Grace. The program, which runs the site's own
// code and serves its functions, never sees Verge's secrets (protocol.Secret).
func Command(ctx context.Context, root, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = childproc.Interrupt(cmd)
	cmd.WaitDelay = childproc.Grace
	cmd.Dir = root
	cmd.Env = protocol.ChildEnv(os.Environ(), root, strings.TrimSuffix(filepath.Base(bin), filepath.Ext(bin)))
	return cmd
}
