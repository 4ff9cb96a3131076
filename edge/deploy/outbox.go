package deploy

// Purges go through durable outboxes, one per purge target: queued on
// disk before anything is sent, then flushed within each target's rate
// limit, retried, and what could not go out is left queued for the next
// run (a deploy, verge purge, the webhook's sender). A deploy whose
// purge would wait past what its run allows purges everything instead.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/vergehq/verge/cachepurge"
)

// PurgeTarget is one place purges go: an outbox of its own, and the
// purger that sends what it holds.
type PurgeTarget struct {
	Name   string
	Outbox *cachepurge.Outbox
	Purger cachepurge.Purger
}

// edgeLimits are the limits a purge for Verge edges keeps to.
var edgeLimits = cachepurge.Limits{TagsPerRequest: 100}

// cloudflareLimits are the limits a purge for Cloudflare keeps to.
var cloudflareLimits = cachepurge.Limits{TagsPerRequest: cachepurge.CloudflareTagsPerRequest, URLsPerRequest: cachepurge.CloudflareFilesPerRequest}

// PurgeTargets opens the site's purge targets: the Verge edges of
// [purge] edges, and the Cloudflare zone of [cloudflare] zone_id. Tokens
// come from the environment only (VERGE_PURGE_TOKEN,
// CLOUDFLARE_API_TOKEN; CLOUDFLARE_BASE_URL for another API address).
func (s *Site) PurgeTargets() ([]PurgeTarget, error) {
	cfg, err := s.LoadConfig()
	if err != nil {
		return nil, err
	}
	var out []PurgeTarget
	if len(cfg.PurgeEdges) > 0 {
		o, err := cachepurge.OpenOutbox(s.Layout.EdgeOutbox(), edgeLimits)
		if err != nil {
			return nil, err
		}
		out = append(out, PurgeTarget{"edges", o, &cachepurge.EdgePurger{Edges: cfg.PurgeEdges, Token: os.Getenv("VERGE_PURGE_TOKEN")}})
	}
	if cf := cfg.Cloudflare; cf.ZoneID != "" {
		p, err := cachepurge.NewCloudflarePurger(cf.ZoneID, os.Getenv("CLOUDFLARE_API_TOKEN"), os.Getenv("CLOUDFLARE_BASE_URL"), cfg.siteURL())
		if err != nil {
			return nil, err
		}
		lim := cloudflareLimits
		lim.Rate = cachepurge.CloudflareRate
		if cf.PurgePerMinute > 0 {
			lim.Rate.PerMinute = cf.PurgePerMinute
		}
		if cf.PurgeBurst > 0 {
			lim.Rate.Burst = cf.PurgeBurst
		}
		o, err := cachepurge.OpenOutbox(s.Layout.CloudflareOutbox(), lim)
		if err != nil {
			return nil, err
		}
		out = append(out, PurgeTarget{"cloudflare", o, p})
	}
	return out, nil
}

// ErrPurgePending ends a deploy or rollback that went live but whose
// purge could not all be sent: a CI job should fail, or the purge goes
// with its throwaway runner.
var ErrPurgePending = errors.New("the new version is live, but its purge did not all go out (see above): run verge purge where .verge/ is kept, or verge purge --all")

// ErrNoPurgeTargets says where purge targets are configured.
var ErrNoPurgeTargets = errors.New("nothing to purge: list Verge edges in verge.toml ([purge] edges = [\"http://host:port\"]) or a Cloudflare zone ([cloudflare] zone_id)")

// DefaultPurgeWait is how long one run waits on its purge targets.
const DefaultPurgeWait = 90 * time.Second

// QueuedPurge is a purge as a target's outbox queued it.
type QueuedPurge struct {
	Target string `json:"target"`
	cachepurge.Purge
}

// Queue puts p in every target's outbox, and returns the purges it is
// queued as there (with their IDs and queue times).
func Queue(targets []PurgeTarget, p cachepurge.Purge) ([]QueuedPurge, error) {
	var out []QueuedPurge
	for _, t := range targets {
		queued, err := t.Outbox.Add(p)
		if err != nil {
			return out, fmt.Errorf("queue purge for %s: %w", t.Name, err)
		}
		for _, q := range queued {
			out = append(out, QueuedPurge{t.Name, q})
		}
	}
	return out, nil
}

// PurgeNow is a purge asked for by hand: it queues p for every target
// (when p names anything) and says so on w, then sends what is due, and
// what was backing off after a failure too. unsent is Send's.
func PurgeNow(ctx context.Context, w io.Writer, targets []PurgeTarget, p cachepurge.Purge) (unsent bool, err error) {
	if p.Everything || len(p.Tags) > 0 || len(p.URLs) > 0 {
		if _, err := Queue(targets, p); err != nil {
			return false, err
		}
		fmt.Fprintf(w, "queued %s\n", DescribePurge(p))
	}
	for _, t := range targets {
		if err := t.Outbox.RetryNow(); err != nil {
			return false, err
		}
	}
	return Send(ctx, w, targets, DefaultPurgeWait, false), nil
}

// sendPlan queues plan for the targets and sends it, with anything an
// earlier run left queued; what stays queued is ErrPurgePending.
func sendPlan(ctx context.Context, w io.Writer, targets []PurgeTarget, plan *cachepurge.Plan, wait time.Duration) error {
	if len(targets) == 0 {
		return nil
	}
	if plan.Requests() > 0 {
		notes, err := queuePlan(targets, plan, wait)
		sayNotes(w, notes)
		if err != nil {
			return err
		}
	}
	if Send(ctx, w, targets, wait, true) {
		return ErrPurgePending
	}
	return nil
}

// sayNotes prints what queuePlan did other than the plan.
func sayNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
}

// queuePlan queues a purge plan's requests for every target. For a
// target whose rate limit would hold part of the plan back past what this
// run waits for (wait, see Send), one purge of everything goes instead:
// a deploy's purge should not wait on a CI runner that is about to go.
// Each such switch is a note for the user, saying why.
func queuePlan(targets []PurgeTarget, plan *cachepurge.Plan, wait time.Duration) ([]string, error) {
	var notes []string
	for _, t := range targets {
		one := []PurgeTarget{t}
		if !plan.Everything {
			if need, allowed, ok := withinRate(t.Outbox, plan, wait); !ok {
				lim := t.Outbox.Limits().Rate
				notes = append(notes, fmt.Sprintf("purge at %s: its rate limit (%g a minute, bursts of %g) would hold %d of the %d requests due past --purge-wait %s; purging everything instead (1 request)",
					t.Name, lim.PerMinute, lim.Burst, need-int(allowed), need, wait))
			} else {
				if err := queueBatches(one, plan); err != nil {
					return notes, err
				}
				continue
			}
		}
		if _, err := Queue(one, cachepurge.Purge{Everything: true}); err != nil {
			return notes, err
		}
	}
	return notes, nil
}

// queueBatches queues the plan's requests as they are.
func queueBatches(targets []PurgeTarget, plan *cachepurge.Plan) error {
	for _, b := range plan.Batches {
		if _, err := Queue(targets, cachepurge.Purge{Tags: b}); err != nil {
			return err
		}
	}
	if len(plan.Files) > 0 {
		if _, err := Queue(targets, cachepurge.Purge{URLs: plan.Files}); err != nil {
			return err
		}
	}
	return nil
}

// withinRate says whether o's target can take plan's requests, after
// what is pending (need, in all), within its rate limit now and in the
// wait this run allows (allowed).
func withinRate(o *cachepurge.Outbox, plan *cachepurge.Plan, wait time.Duration) (need int, allowed float64, ok bool) {
	lim := o.Limits()
	need = len(plan.Batches)
	if n := len(plan.Files); n > 0 {
		per := lim.URLsPerRequest
		if per <= 0 {
			per = n
		}
		need += (n + per - 1) / per
	}
	if st, err := o.Status(); err == nil {
		need += len(st.Pending)
	}
	if lim.Rate.PerMinute <= 0 {
		return need, float64(need), true
	}
	allowed = math.Floor(o.Available() + wait.Minutes()*lim.Rate.PerMinute)
	return need, allowed, float64(need) <= allowed
}

// Send flushes every target's outbox and says how it went on w. A purge
// the target's rate limit holds back (Verge's count, or a 429) is waited
// for, all targets within wait; patient (a deploy: its runner may be gone
// tomorrow) also waits out the backoff of failures within that time.
// What is left stays queued for the next deploy or verge purge. unsent
// says whether anything is still queued, or was refused for good.
func Send(ctx context.Context, w io.Writer, targets []PurgeTarget, wait time.Duration, patient bool) (unsent bool) {
	deadline := time.Now().Add(wait)
	for _, t := range targets {
		n, err := flushWaiting(ctx, t, deadline, patient)
		if n > 0 {
			fmt.Fprintf(w, "  purged at %s: %d purges sent\n", t.Name, n)
		}
		var refused *cachepurge.Refused
		switch {
		case errors.As(err, &refused):
			fmt.Fprintf(w, "  purge at %s refused for good: %v\n  (verge purge --status lists it; queue it again once fixed)\n", t.Name, err)
			unsent = true
		case err != nil:
			fmt.Fprintf(w, "  purge at %s queued, not sent yet: %v\n  (it is kept; verge purge --status shows it, verge purge sends it)\n", t.Name, err)
		}
		if st, serr := t.Outbox.Status(); serr != nil || len(st.Pending) > 0 {
			unsent = true
		}
	}
	return unsent
}

// flushWaiting flushes t's outbox, waiting out holds that end before
// deadline: rate limits, and, when patient, the backoff after a failure.
// A flush gets a minute at most, and no more than the deadline leaves.
func flushWaiting(ctx context.Context, t PurgeTarget, deadline time.Time, patient bool) (int, error) {
	sent := 0
	failed := false // the last flush failed: the next one must say when to retry
	for {
		limit := min(time.Until(deadline), time.Minute)
		if limit <= 0 {
			limit = time.Second // past the deadline: one short try still
		}
		fctx, cancel := context.WithTimeout(ctx, limit)
		n, err := t.Outbox.Flush(fctx, t.Purger)
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

// DescribePurge says what a purge covers, in one line.
func DescribePurge(p cachepurge.Purge) string {
	if p.Everything {
		return "everything"
	}
	data, _ := json.Marshal(struct {
		Tags []string `json:"tags,omitempty"`
		URLs []string `json:"urls,omitempty"`
	}{p.Tags, p.URLs})
	return string(data)
}
