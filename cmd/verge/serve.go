package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/cmd/verge/internal/devserve"
	"github.com/vergehq/verge/internal/protocol"
)

func newServeCmd() *cobra.Command {
	var port int
	var prod bool
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve the site in DIR (default .) from memory on 127.0.0.1, reloading the browser as files change",
		Long: `Serve builds the site in memory (nothing is written to dist/) and serves it,
with its API functions, on 127.0.0.1. Open pages stay current: a content or data
edit re-renders only the pages that read it and reloads the pages whose HTML
changed; a CSS edit swaps the stylesheet in place; a text-only .templ edit
applies without recompiling; a Go edit recompiles and restarts the site
program, and the browser reloads once the new program serves. Errors show in
the terminal and as an overlay in the browser, which clears when they are
fixed. Serve never exits on bad input.

With --prod it builds the site instead, deploys it into a temporary local
store and serves it through the edge server exactly as production would
(cache headers, compression, ETags, the site's 404 page), with the API
functions run at the origin behind it. It does not watch for changes.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(abs, "main.go")); err != nil {
				return fmt.Errorf("%s is not a Verge site: it has no main.go (create one with `verge new %s`)", dir, dir)
			}
			opts := devserve.Options{Dir: abs, Port: port, Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
			if prod {
				return devserve.RunProd(cmd.Context(), opts)
			}
			return devserve.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVarP(&port, "port", "p", protocol.DefaultPort, "port to listen on, on 127.0.0.1")
	cmd.Flags().BoolVar(&prod, "prod", false, "build, then serve through the local edge as production would")
	return cmd
}
