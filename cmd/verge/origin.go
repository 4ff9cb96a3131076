package main

import "github.com/spf13/cobra"

func newOriginCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "origin [DIR]",
		Short: "Run the site's API functions alone, for hosting behind a CDN or verge edge",
		Long: `Origin compiles the site program and serves its API functions against its
content: each within its declared method, timeout, request-body limit and
concurrency (beyond it: 429 with Retry-After), a panic answered with a 500 and
logged, never a crash. Responses carry a Cache-Tag for the content the function
read and the cache headers its policy declares; non-GET responses are never
cacheable. Access logs are JSON lines on stderr.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSite(cmd, dirArg(args), []string{"origin", "--listen", listen}, true)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on")
	return cmd
}
