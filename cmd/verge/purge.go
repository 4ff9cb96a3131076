package main

import (
	"github.com/spf13/cobra"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/deploy"
)

// errPurgeQueued ends a verge purge that could not send everything.
var errPurgeQueued = exitError{code: 3, msg: "not every purge went out (see above); they are kept: run verge purge again"}

func newPurgeCmd() *cobra.Command {
	var dir string
	var tags, urls, content []string
	var all, soft, status bool
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Purge the edges' and Cloudflare's caches by tag, URL, content file or everything, through the durable outbox",
		Long: `Purge queues a purge in the site's outboxes (.verge/outbox for the Verge
edges of [purge] edges, .verge/outbox-cloudflare for the zone of
[cloudflare] zone_id), on disk before anything is sent, then sends what is
due. Tokens come from VERGE_PURGE_TOKEN and CLOUDFLARE_API_TOKEN. A purge a
target refuses or cannot take now stays queued and is retried (as its
Retry-After says, or backing off, and within Cloudflare's rate limit): run
verge purge again, or deploy. --content names a content or data file: it
purges that file's tag, which the live version's pages and every function
response that read the file carry. --status shows what is pending and sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ds := deploySite(dir)
			targets, err := ds.PurgeTargets()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if status {
				return deploy.WriteStatus(w, targets)
			}
			if len(targets) == 0 {
				return deploy.ErrNoPurgeTargets
			}
			if len(tags) > 0 {
				ep := ds.ExpandTags(w, tags)
				tags, urls = ep.Tags, append(urls, ep.URLs...)
			}
			if len(content) > 0 {
				ep, err := ds.ContentTags(w, content)
				if err != nil {
					return err
				}
				tags, urls = append(tags, ep.Tags...), append(urls, ep.URLs...)
			}
			unsent, err := deploy.PurgeNow(cmd.Context(), w, targets, cachepurge.Purge{Tags: tags, URLs: urls, Everything: all, Soft: soft})
			if err == nil && unsent {
				err = errPurgeQueued
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the site's directory")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "purge this cache tag (repeatable)")
	cmd.Flags().StringSliceVar(&urls, "url", nil, "purge this URL (repeatable)")
	cmd.Flags().StringSliceVar(&content, "content", nil, "purge what shows this content or data file, e.g. content/posts/x.md (repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "purge everything")
	cmd.Flags().BoolVar(&soft, "soft", false, "mark stale (served while revalidating) instead of removing, where the target can")
	cmd.Flags().BoolVar(&status, "status", false, "show pending and sent purges")
	return cmd
}
