package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/edge/cache"
	"github.com/vergehq/verge/edge/front"
	"github.com/vergehq/verge/internal/purgeapi"
)

func newEdgeCmd() *cobra.Command {
	var sf storeFlags
	var listen, origin, functions, tokenFile string
	var quiet bool
	var budget int64
	var trustProxy []string
	cmd := &cobra.Command{
		Use:   "edge [DIR]",
		Short: "Serve the live version of the local store, as production does",
		Long: `Edge serves the active version of the site's local store (see verge deploy):
content types and cache headers from the manifest, ETags from content hashes,
304s, ranges, br and gzip, canonical trailing-slash redirects, the site's
404 page. A deploy or rollback switches every following request at once; the
fingerprinted assets of the few versions before stay served for open tabs.
With --functions URL, requests for the site's API functions go to where
verge origin runs them, through a shared cache as their policies say.

With --origin URL it is instead a caching reverse proxy in front of that
origin: every method and path is forwarded, and responses are cached as an
RFC 9111 shared cache (CDN-Cache-Control, stale-while-revalidate,
stale-if-error, request coalescing, Cache-Tag and Surrogate-Key, Cache-Status)
within --cache-bytes of memory. In either mode POST /_verge/purge purges by tag, URL,
prefix or everything, hard or soft, for requests bearing the token read
from --purge-token-file (a secret mounted as a file) or, without it, from
VERGE_PURGE_TOKEN; with neither, the purge API refuses everything.

What the cache forwards cannot differ between clients unless it is keyed:
the origin gets its own host as Host, X-Forwarded-For and
X-Forwarded-Proto as the edge sets them, and never Forwarded,
X-Original-URL, X-Rewrite-URL or a method override. X-Forwarded-Host,
-Proto and -For are believed only from --trust-proxy addresses (a load
balancer in front of the edge), and the cache then keys on the first two.
A response with Set-Cookie is not stored unless its Cache-Control (or
CDN-Cache-Control) says private="Set-Cookie", and then stored without it.
A path with "." or ".." segments gets 400; paths are forwarded as sent.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trusted, err := cache.ParseTrustedProxies(trustProxy)
			if err != nil {
				return fmt.Errorf("--trust-proxy: %w", err)
			}
			if len(trusted) > 0 && origin == "" && functions == "" {
				return fmt.Errorf("--trust-proxy applies to what the edge forwards: pass it with --origin or --functions")
			}
			var h http.Handler
			var fast front.Responder
			if origin != "" {
				u, err := url.Parse(origin)
				if err != nil || u.Scheme == "" || u.Host == "" {
					return fmt.Errorf("--origin %q is not an absolute URL such as http://127.0.0.1:8081", origin)
				}
				px := cache.NewProxy(u, cache.NewStore(budget))
				token, err := purgeapi.Token(tokenFile)
				if err != nil {
					return err
				}
				px.SetPurgeToken(token)
				px.SetTrustedProxies(trusted)
				h, fast = px, px
			} else {
				s, err := edge.OpenStore(sf.site(dirArg(args)).StoreDir())
				if err != nil {
					return err
				}
				sv := edge.NewServer(s)
				if functions != "" {
					u, err := url.Parse(functions)
					if err != nil || u.Scheme == "" || u.Host == "" {
						return fmt.Errorf("--functions %q is not an absolute URL such as http://127.0.0.1:8081 (where verge origin runs)", functions)
					}
					sv.SetOrigin(u)
					token, err := purgeapi.Token(tokenFile)
					if err != nil {
						return err
					}
					sv.SetPurgeToken(token)
					sv.SetTrustedProxies(trusted)
				}
				h, fast = sv, sv
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w (pass --listen with a free address)", listen, err)
			}
			o := edge.ServeOptions{Fast: fast}
			if !quiet {
				o.Log = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			}
			what := "the local store's live version"
			if origin != "" {
				what = "a cache in front of " + origin
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving %s on http://%s/\n", what, ln.Addr())
			return edge.Serve(cmd.Context(), ln, h, o)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no access log")
	cmd.Flags().StringVar(&origin, "origin", "", "cache and forward to this origin instead of serving the store")
	cmd.Flags().StringVar(&functions, "functions", "", "where the site's API functions run (verge origin); their answers are cached here")
	cmd.Flags().Int64Var(&budget, "cache-bytes", 256<<20, "memory for cached responses (with --origin)")
	cmd.Flags().StringSliceVar(&trustProxy, "trust-proxy", nil, "addresses or CIDRs (comma-separated or repeated) of load balancers whose X-Forwarded-Host/-Proto/-For are believed")
	cmd.Flags().StringVar(&tokenFile, "purge-token-file", "", "file holding the purge API's bearer token (with --origin or --functions; default: $VERGE_PURGE_TOKEN)")
	return cmd
}
