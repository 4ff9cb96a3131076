package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/edge"
)

func newEdgeCmd() *cobra.Command {
	var sf storeFlags
	var listen string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "edge [DIR]",
		Short: "Serve the live version of the local store, as production does",
		Long: `Edge serves the active version of the site's local store (see verge deploy):
content types and cache headers from the manifest, ETags from content hashes,
304s, ranges, br and gzip, canonical trailing-slash redirects, the site's
404 page. A deploy or rollback switches every following request at once; the
fingerprinted assets of the few versions before stay served for open tabs.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := sf.open(dirArg(args))
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w (pass --listen with a free address)", listen, err)
			}
			var h http.Handler = edge.NewServer(s)
			if !quiet {
				h = edge.AccessLog(h, slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil)))
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s on http://%s/\n", s.Dir(), ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
					return err
				}
				return nil
			}
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no access log")
	return cmd
}
