package gosite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/childproc"
)

// Command prepares the compiled site program bin (from Compile) to run
// with args in the site directory root: VERGE_ROOT names the site and
// VERGE_BUILD_KEY the program, so a build reuses pages only from the same
// program. Start it with childproc.Start or Run, never cmd.Start, so that
// it runs in its own process group and dies with Verge. When ctx is done
// the group gets SIGTERM, not SIGKILL, so the program can remove
// temporary output and finish its requests; it is killed if it has not
// stopped within childproc.Grace. The program, which runs the site's own
// code and serves its functions, never sees Verge's secrets (see secret).
func Command(ctx context.Context, root, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = childproc.Interrupt(cmd)
	cmd.WaitDelay = childproc.Grace
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
