package deploy

// The local target: the site's content-addressed store (package edge),
// which verge edge serves. A deploy plans its purge against the store's
// live version before the switch; a rollback plans it from the two
// versions the store holds.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/human"
)

// local is the Target of the site's local store.
type local struct {
	site  *Site
	store *edge.Store
}

func openLocal(s *Site) (Target, error) {
	st, err := edge.OpenStore(s.StoreDir())
	if err != nil {
		return nil, err
	}
	return &local{site: s, store: st}, nil
}

// PurgeLimits are a Verge edge's: 100 tags a request.
func (l *local) PurgeLimits() cachepurge.Limits { return edgeLimits }

// Live is the store's active version (no manifest when none is).
func (l *local) Live(context.Context) (cachepurge.Build, error) {
	id, err := l.store.Active()
	if err != nil || id == "" {
		return cachepurge.Build{}, err
	}
	return storeBuild(l.store, id)
}

// storeBuild is the store's version id as purge planning sees it.
func storeBuild(s *edge.Store, id string) (cachepurge.Build, error) {
	v, err := s.Version(id)
	if err != nil {
		return cachepurge.Build{}, err
	}
	tv, err := s.TagVersions(id)
	if err != nil {
		return cachepurge.Build{}, err
	}
	return cachepurge.Build{Manifest: v.Manifest, Versions: tv}, nil
}

// plan plans the purge deploying the build in out would need, against
// the live build it returns with it.
func (l *local) plan(ctx context.Context, out string) (*cachepurge.Plan, cachepurge.Build, cachepurge.Build, error) {
	m, err := readBuild(out)
	if err != nil {
		return nil, cachepurge.Build{}, cachepurge.Build{}, err
	}
	live, err := l.Live(ctx)
	if err != nil {
		return nil, live, cachepurge.Build{}, err
	}
	next := readNext(out, m)
	return cachepurge.New(live, next, l.PurgeLimits()), live, next, nil
}

// DryRun says what deploying the build in out would upload and purge.
func (l *local) DryRun(ctx context.Context, out string, o Options) error {
	plan, live, next, err := l.plan(ctx, out)
	if err != nil {
		return err
	}
	m := next.Manifest
	rep, bytes := newDryRunReport(plan, l.store.Missing(m))
	w := o.Stdout
	if o.JSON {
		return rep.print(w)
	}
	fmt.Fprintf(w, "would upload %d files (%s); %d already stored\n", len(rep.Upload), human.Bytes(bytes), len(m.Files)-len(rep.Upload))
	sayPlan(w, plan, live.Manifest != nil, "would purge", true)
	if live.Manifest != nil && live.Versions == nil {
		fmt.Fprintln(w, "note: the live version's tag versions are unknown (deployed by an older Verge): content changes only function responses show may be missed")
	}
	return nil
}

// Deploy stores the build in out as a new version, activates it, and
// purges what it changed at the edges.
func (l *local) Deploy(ctx context.Context, out string, o Options) error {
	// The purge is planned against what is live before the switch.
	plan, _, _, err := l.plan(ctx, out)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := l.store.Deploy(ctx, out, o.Retain)
	if err != nil {
		return err
	}
	purgeOut := o.Stdout
	if o.JSON {
		purgeOut = o.Stderr // stdout is the report's
	}
	purge := func() error {
		if rep.Unchanged {
			plan = &cachepurge.Plan{} // nothing new; what an earlier run left queued still goes
		}
		return l.site.queuePurge(ctx, purgeOut, plan, o.PurgeWait)
	}
	if o.JSON {
		if err := json.NewEncoder(o.Stdout).Encode(rep); err != nil {
			return err
		}
		return purge()
	}
	w := o.Stdout
	switch {
	case rep.Unchanged:
		fmt.Fprintf(w, "%s is live already: nothing to deploy\n", rep.Version)
	case rep.Reactivated:
		fmt.Fprintf(w, "reactivated %s (this build was deployed before)\n", rep.Version)
	default:
		fmt.Fprintf(w, "deployed %s in %s: %d files uploaded (%s), %d already stored\n", rep.Version,
			time.Since(start).Round(time.Millisecond), rep.Uploaded, human.Bytes(rep.UploadedBytes), rep.Reused)
		fmt.Fprintf(w, "  against %s: %d added, %d changed, %d removed\n", orNone(rep.Previous), rep.Changes.Added, rep.Changes.Modified, rep.Changes.Removed)
	}
	if c := rep.Collected; c.Versions > 0 || c.Blobs > 0 {
		fmt.Fprintf(w, "  collected %d old versions, %d files (%s)\n", c.Versions, c.Blobs, human.Bytes(c.Bytes))
	}
	return purge()
}

// Versions lists the store's versions, the live one marked.
func (l *local) Versions(_ context.Context, o Options) error {
	list, err := l.store.Versions()
	if err != nil {
		return err
	}
	if o.JSON {
		return json.NewEncoder(o.Stdout).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(o.Stdout, "no versions yet: verge deploy makes one")
		return nil
	}
	tw := tabwriter.NewWriter(o.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tVERSION\tDEPLOYED\tFILES\tSIZE\tCHANGES")
	for _, v := range list {
		mark := ""
		if v.Active {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t+%d ~%d -%d\n", mark, v.ID, v.Created.Local().Format("2006-01-02 15:04:05"),
			v.Files, human.Bytes(v.Bytes), v.Changes.Added, v.Changes.Modified, v.Changes.Removed)
	}
	return tw.Flush()
}

// Rollback activates version to (default: the one before) and purges
// what differs.
func (l *local) Rollback(ctx context.Context, to string, o Options) error {
	from, to, err := l.store.Rollback(to)
	if err != nil {
		return err
	}
	if from == to {
		fmt.Fprintf(o.Stdout, "%s is live already\n", to)
		return nil
	}
	fmt.Fprintf(o.Stdout, "rolled back from %s to %s\n", orNone(from), to)
	// What the versions differ in is purged, as for a deploy.
	prev, err := storeBuild(l.store, from)
	if err != nil {
		prev = cachepurge.Build{} // gone: nothing of it to plan from
	}
	next, err := storeBuild(l.store, to)
	if err != nil {
		return err
	}
	plan := &cachepurge.Plan{Everything: true}
	if prev.Manifest != nil {
		plan = cachepurge.New(prev, next, l.PurgeLimits())
	}
	return l.site.queuePurge(ctx, o.Stdout, plan, o.PurgeWait)
}

// queuePurge puts a deploy's purge plan in the site's outboxes and sends
// it, with anything an earlier run left queued (no purge targets
// configured: nothing to purge).
func (s *Site) queuePurge(ctx context.Context, w io.Writer, plan *cachepurge.Plan, wait time.Duration) error {
	targets, err := s.PurgeTargets()
	if err != nil {
		return err
	}
	return sendPlan(ctx, w, targets, plan, wait)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
