package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/site"
)

// purgeTarget is one place purges go: an outbox of its own, and the
// purger that sends what it holds.
type purgeTarget struct {
	name   string
	outbox *cachepurge.Outbox
	purger cachepurge.Purger
}

// purgeTargets opens the purge targets of the site in dir: the Verge
// edges of [purge] edges, and the Cloudflare zone of [cloudflare]
// zone_id. Tokens come from the environment only.
func purgeTargets(dir string) ([]purgeTarget, error) {
	cfg, err := site.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	var out []purgeTarget
	if len(cfg.Purge.Edges) > 0 {
		o, err := cachepurge.OpenOutbox(filepath.Join(dir, ".verge", "outbox"), cachepurge.Limits{TagsPerRequest: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, purgeTarget{"edges", o, &cachepurge.EdgePurger{Edges: cfg.Purge.Edges, Token: os.Getenv("VERGE_PURGE_TOKEN")}})
	}
	if cf := cfg.Cloudflare; cf.ZoneID != "" {
		p, err := cachepurge.NewCloudflarePurger(cf.ZoneID, os.Getenv("CLOUDFLARE_API_TOKEN"), os.Getenv("CLOUDFLARE_BASE_URL"), cloudflareSiteURL(cfg))
		if err != nil {
			return nil, err
		}
		rate := cachepurge.CloudflareRate
		if cf.PurgePerMinute > 0 {
			rate.PerMinute = cf.PurgePerMinute
		}
		if cf.PurgeBurst > 0 {
			rate.Burst = cf.PurgeBurst
		}
		o, err := cachepurge.OpenOutbox(filepath.Join(dir, ".verge", "outbox-cloudflare"), cachepurge.Limits{
			TagsPerRequest: cachepurge.CloudflareTagsPerRequest, URLsPerRequest: cachepurge.CloudflareFilesPerRequest, Rate: rate})
		if err != nil {
			return nil, err
		}
		out = append(out, purgeTarget{"cloudflare", o, p})
	}
	return out, nil
}

// errPurgePending ends a deploy or rollback that went live but whose
// purge could not all be sent: exit status 3, so CI notices a purge that
// a throwaway runner would otherwise take with it.
var errPurgePending = exitError{code: 3, msg: "the new version is live, but its purge did not all go out (see above): run verge purge where .verge/ is kept, or verge purge --all"}

// errPurgeQueued ends a verge purge that could not send everything.
var errPurgeQueued = exitError{code: 3, msg: "not every purge went out (see above); they are kept: run verge purge again"}

// errNoPurgeTargets says where purge targets are configured.
var errNoPurgeTargets = errors.New("nothing to purge: list Verge edges in verge.toml ([purge] edges = [\"http://host:port\"]) or a Cloudflare zone ([cloudflare] zone_id)")

// queuedPurge is a purge as a target's outbox queued it.
type queuedPurge struct {
	Target string `json:"target"`
	cachepurge.Purge
}

// queue puts p in every target's outbox, and returns the purges it is
// queued in there (with their IDs and queue times).
func queue(targets []purgeTarget, p cachepurge.Purge) ([]queuedPurge, error) {
	var out []queuedPurge
	for _, t := range targets {
		queued, err := t.outbox.Add(p)
		if err != nil {
			return out, fmt.Errorf("queue purge for %s: %w", t.name, err)
		}
		for _, q := range queued {
			out = append(out, queuedPurge{t.name, q})
		}
	}
	return out, nil
}

// sendPurges flushes every target's outbox and says how it went. A purge
// the target's rate limit holds back (Verge's count, or a 429) is waited
// for, all targets within wait; patient (a deploy: its runner may be gone
// tomorrow) also waits out the backoff of failures within that time.
// What is left stays queued for the next deploy or verge purge. unsent
// says whether anything is still queued, or was refused for good.
func sendPurges(ctx context.Context, w io.Writer, targets []purgeTarget, wait time.Duration, patient bool) (unsent bool) {
	deadline := time.Now().Add(wait)
	for _, t := range targets {
		n, err := flushWaiting(ctx, t, deadline, patient)
		if n > 0 {
			fmt.Fprintf(w, "  purged at %s: %d purges sent\n", t.name, n)
		}
		var refused *cachepurge.Refused
		switch {
		case errors.As(err, &refused):
			fmt.Fprintf(w, "  purge at %s refused for good: %v\n  (verge purge --status lists it; queue it again once fixed)\n", t.name, err)
			unsent = true
		case err != nil:
			fmt.Fprintf(w, "  purge at %s queued, not sent yet: %v\n  (it is kept; verge purge --status shows it, verge purge sends it)\n", t.name, err)
		}
		if st, serr := t.outbox.Status(); serr != nil || len(st.Pending) > 0 {
			unsent = true
		}
	}
	return unsent
}

// purgeWait is how long one run waits on its targets by default.
const purgeWait = 90 * time.Second

// flushWaiting flushes t's outbox, waiting out holds that end before
// deadline: rate limits, and, when patient, the backoff after a failure.
// A flush gets a minute at most, and no more than the deadline leaves.
func flushWaiting(ctx context.Context, t purgeTarget, deadline time.Time, patient bool) (int, error) {
	sent := 0
	failed := false // the last flush failed: the next one must say when to retry
	for {
		limit := min(time.Until(deadline), time.Minute)
		if limit <= 0 {
			limit = time.Second // past the deadline: one short try still
		}
		fctx, cancel := context.WithTimeout(ctx, limit)
		n, err := t.outbox.Flush(fctx, t.purger)
		timedOut := fctx.Err() != nil
		cancel()
		sent += n
		var until time.Time
		var rl *cachepurge.RateLimited
		var ra *cachepurge.RetryAfter
		var nd *cachepurge.NotDue
		switch {
		case err == nil || ctx.Err() != nil || timedOut:
			return sent, err
		case errors.As(err, &rl):
			until = rl.Until
		case errors.As(err, &ra):
			until = time.Now().Add(ra.Wait)
		case patient && errors.As(err, &nd):
			until, failed = nd.Until, false
		case patient && !failed:
			// A failure: the next flush says when its retry is due.
			until, failed = time.Now(), true
		default:
			return sent, err
		}
		if until.After(deadline) {
			return sent, err
		}
		timer := time.NewTimer(time.Until(until))
		select {
		case <-ctx.Done():
			timer.Stop()
			return sent, err
		case <-timer.C:
		}
	}
}

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
			targets, err := purgeTargets(dir)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if status {
				return printPurgeStatus(w, targets)
			}
			if len(targets) == 0 {
				return errNoPurgeTargets
			}
			if len(tags) > 0 {
				sayCoverage(w, dir, tags)
			}
			if len(content) > 0 {
				ctags, err := contentTags(w, dir, content)
				if err != nil {
					return err
				}
				tags = append(tags, ctags...)
			}
			if all || len(tags) > 0 || len(urls) > 0 {
				p := cachepurge.Purge{Tags: tags, URLs: urls, Everything: all, Soft: soft}
				if _, err := queue(targets, p); err != nil {
					return err
				}
				fmt.Fprintf(w, "queued %s\n", describePurge(p))
			}
			for _, t := range targets {
				// Asked by hand: what was backing off after a failure goes now.
				if err := t.outbox.RetryNow(); err != nil {
					return err
				}
			}
			if sendPurges(cmd.Context(), w, targets, purgeWait, false) {
				return errPurgeQueued
			}
			return nil
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

func printPurgeStatus(w io.Writer, targets []purgeTarget) error {
	if len(targets) == 0 {
		return errNoPurgeTargets
	}
	for _, t := range targets {
		st, err := t.outbox.Status()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s:\n", t.name)
		if len(st.Pending) == 0 {
			fmt.Fprintln(w, "  nothing pending")
		}
		for _, p := range st.Pending {
			state := "pending"
			switch {
			case p.LastError != "":
				state = fmt.Sprintf("failed %d times, next try %s: %s", p.Attempts, p.NextTry.Local().Format(time.TimeOnly), p.LastError)
			case p.NextTry.After(time.Now()):
				state = "held back by the rate limit until " + p.NextTry.Local().Format(time.TimeOnly)
			}
			fmt.Fprintf(w, "  %s  %s  %s\n", p.ID, describePurge(p), state)
		}
		for _, p := range st.Failed {
			fmt.Fprintf(w, "  %s  %s  FAILED %s, refused for good: %s (queue it again once fixed)\n", p.ID, describePurge(p), p.Failed.Local().Format(time.DateTime), p.LastError)
		}
		for _, p := range st.Sent {
			fmt.Fprintf(w, "  %s  %s  sent %s\n", p.ID, describePurge(p), p.Sent.Local().Format(time.DateTime))
		}
	}
	return nil
}

func describePurge(p cachepurge.Purge) string {
	if p.Everything {
		return "everything"
	}
	data, _ := json.Marshal(struct {
		Tags []string `json:"tags,omitempty"`
		URLs []string `json:"urls,omitempty"`
	}{p.Tags, p.URLs})
	return string(data)
}
