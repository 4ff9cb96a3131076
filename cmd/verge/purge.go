package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/site"
)

// purgeOutbox opens the site's purge outbox and the purger for its
// configured edges (nil when it has none).
func purgeOutbox(dir string) (*cachepurge.Outbox, cachepurge.Purger, error) {
	cfg, err := site.LoadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	o, err := cachepurge.OpenOutbox(filepath.Join(dir, ".verge", "outbox"), 100)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Purge.Edges) == 0 {
		return o, nil, nil
	}
	return o, &cachepurge.EdgePurger{Edges: cfg.Purge.Edges, Token: os.Getenv("VERGE_PURGE_TOKEN")}, nil
}

// sendPurges flushes the outbox through p and says how it went; what
// cannot go now stays queued for the next deploy or verge purge.
func sendPurges(ctx context.Context, w io.Writer, o *cachepurge.Outbox, p cachepurge.Purger) {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, err := o.Flush(ctx, p)
	if n > 0 {
		fmt.Fprintf(w, "  purged: %d requests sent\n", n)
	}
	if err != nil {
		fmt.Fprintf(w, "  purge queued, not sent yet: %v\n  (it is kept; verge purge --status shows it, verge purge sends it)\n", err)
	}
}

func newPurgeCmd() *cobra.Command {
	var dir string
	var tags, urls []string
	var all, soft, status bool
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Purge the edges' caches by tag, URL or everything, through the durable outbox",
		Long: `Purge queues a purge in the site's outbox (.verge/outbox), on disk before
anything is sent, then sends what is due to the edges listed in verge.toml
([purge] edges), with the token in VERGE_PURGE_TOKEN. A purge an edge refuses
or cannot take now stays queued and is retried (as the edge's Retry-After
says, or backing off): run verge purge again, or deploy. --status shows what is
pending and what was sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, p, err := purgeOutbox(dir)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if status {
				st, err := o.Status()
				if err != nil {
					return err
				}
				return printPurgeStatus(w, st)
			}
			if all || len(tags) > 0 || len(urls) > 0 {
				id, err := o.Add(cachepurge.Purge{Tags: tags, URLs: urls, Everything: all, Soft: soft})
				if err != nil {
					return err
				}
				what := "everything"
				if !all {
					what = strings.Join(append(append([]string(nil), tags...), urls...), ", ")
				}
				fmt.Fprintf(w, "queued %s (%s)\n", what, id)
			}
			if p == nil {
				return fmt.Errorf("no edges to purge: list them in verge.toml, [purge] edges = [\"http://host:port\"]")
			}
			sendPurges(cmd.Context(), w, o, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "the site's directory")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "purge this cache tag (repeatable)")
	cmd.Flags().StringSliceVar(&urls, "url", nil, "purge this URL (repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "purge everything")
	cmd.Flags().BoolVar(&soft, "soft", false, "mark stale (served while revalidating) instead of removing")
	cmd.Flags().BoolVar(&status, "status", false, "show pending and sent purges")
	return cmd
}

func printPurgeStatus(w io.Writer, st cachepurge.Status) error {
	if len(st.Pending) == 0 {
		fmt.Fprintln(w, "nothing pending")
	}
	for _, p := range st.Pending {
		state := "pending"
		if p.LastError != "" {
			state = fmt.Sprintf("failed %d times, next try %s: %s", p.Attempts, p.NextTry.Local().Format(time.TimeOnly), p.LastError)
		}
		fmt.Fprintf(w, "%s  %s  %s\n", p.ID, describePurge(p), state)
	}
	for _, p := range st.Sent {
		fmt.Fprintf(w, "%s  %s  sent %s\n", p.ID, describePurge(p), p.Sent.Local().Format(time.DateTime))
	}
	return nil
}

func describePurge(p cachepurge.Purge) string {
	if p.Everything {
		return "everything"
	}
	data, _ := json.Marshal(map[string]any{"tags": p.Tags, "urls": p.URLs})
	return string(data)
}
