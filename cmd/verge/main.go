// Command verge is the Verge CLI: it scaffolds sites, and builds them by
// generating their templ code, compiling the site program and running its
// build. It holds no build logic of its own; see package site.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries an exit status through cobra without printing twice;
// msg, if any, is printed once by main.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("exit status %d", e.code)
}

func main() {
	// SIGTERM (kill, systemd, docker stop) stops verge as Ctrl-C does: its
	// children are stopped first, so none keeps a port or a lock.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "verge:", ee.msg)
		}
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "verge:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "verge",
		Short:         "Pre-render sites, deploy them to the edge under versioned keys, purge exactly what changed",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newBuildCmd(), newServeCmd(), newNewCmd(), newDeployCmd(), newVersionsCmd(), newRollbackCmd(), newEdgeCmd(), newOriginCmd(), newAuditCmd(), newPurgeCmd())
	return root
}
