package deploy

// The Cloudflare target: a Worker with static assets (package
// edge/cloudflare). A deploy plans its purge against the record of the
// live build: kept here (.verge/cloudflare/builds) when it was deployed
// from this checkout, else the record the live site serves (a deploy
// from a fresh CI runner), else unknown, and everything is purged.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/manifest"
)

// cfTarget is the Target of the site's Worker.
type cfTarget struct {
	site *Site
	t    *cloudflare.Target
}

// openCloudflare opens the site's Worker, from its configuration; the
// token from CLOUDFLARE_API_TOKEN, and the API's address from
// CLOUDFLARE_BASE_URL when set (a proxy, or a test's fake).
func openCloudflare(s *Site) (Target, error) {
	cfg, err := s.LoadConfig()
	if err != nil {
		return nil, err
	}
	cf := cfg.Cloudflare
	t, err := cloudflare.New(cloudflare.Config{
		AccountID: cf.AccountID, Script: cf.Script,
		Token: os.Getenv("CLOUDFLARE_API_TOKEN"), BaseURL: os.Getenv("CLOUDFLARE_BASE_URL"),
		Origin: cf.Origin, CompatibilityDate: cf.CompatibilityDate, MaxFiles: cf.MaxFiles,
		StateDir: s.Layout.Cloudflare(), SiteURL: cfg.siteURL(),
	})
	if err != nil {
		return nil, err
	}
	return &cfTarget{site: s, t: t}, nil
}

// PurgeLimits are the zone purge API's.
func (c *cfTarget) PurgeLimits() cachepurge.Limits { return cloudflareLimits }

// Live is the record of the live build: this checkout's, else the one
// the live site serves (its hashes shortened, see compactBuild); no
// manifest when nothing is live or no record is found.
func (c *cfTarget) Live(ctx context.Context) (cachepurge.Build, error) {
	live, err := c.t.Live(ctx)
	if err != nil || live == nil {
		return cachepurge.Build{}, err
	}
	b, _, _ := c.liveRecord(ctx, live)
	return b, nil
}

// liveRecord finds the record of the build live is: kept here, else
// served by the site (compact: its hashes are shortened).
func (c *cfTarget) liveRecord(ctx context.Context, live *cloudflare.Version) (b cachepurge.Build, compact, ok bool) {
	if prev, ok := loadCloudflareRecord(c.site.Layout, live); ok {
		return prev, false, true
	}
	// Not deployed from here: the record the live site carries.
	if data, err := c.t.ReadRecord(ctx, siteRecordPath); err == nil && data != nil {
		if id, prev, err := decodeSiteRecord(data); err == nil && id == live.BuildID {
			return prev, true, true
		}
	}
	return cachepurge.Build{}, false, false
}

// CloudflareReport is what verge deploy --target cloudflare --json prints.
type CloudflareReport struct {
	*cloudflare.Report
	Unchanged bool         `json:"unchanged"`
	Purge     *PurgeReport `json:"purge"`
	// PurgeNotes says where the purge went otherwise than planned (a rate
	// limit made it a purge of everything).
	PurgeNotes []string `json:"purge_notes,omitempty"`
}

// cloudflareStart is what a deploy to Cloudflare, or its dry run,
// starts from: the target, the build, what is live, and the purge that
// replacing it takes.
type cloudflareStart struct {
	target *cloudflare.Target
	build  *manifest.Manifest
	next   cachepurge.Build    // the build as purge planning reads it
	live   *cloudflare.Version // nil: nothing is deployed
	prev   *cachepurge.Build   // the live build's record; nil when unknown here
	plan   *cachepurge.Plan
}

// startCloudflare reads the build in out and what is live on the Worker
// of the site in dir, and plans the purge: nothing when nothing is live
// or the build is live already, what changed when the live build's
// record is here, else everything (what changed is unknown).
func (c *cfTarget) start(ctx context.Context, out string) (*cloudflareStart, error) {
	t := c.t
	m, err := readBuild(out)
	if err != nil {
		return nil, err
	}
	live, err := t.Live(ctx)
	if err != nil {
		return nil, err
	}
	next := readNext(out, m)
	st := &cloudflareStart{target: t, build: m, next: next, live: live, plan: &cachepurge.Plan{}}
	if live == nil || st.unchanged() {
		return st, nil
	}
	if prev, compact, ok := c.liveRecord(ctx, live); ok {
		if compact {
			next = compactBuild(next)
		}
		st.prev = &prev
		st.plan = cachepurge.New(prev, next, c.PurgeLimits())
		return st, nil
	}
	st.plan = &cachepurge.Plan{Everything: true} // what changed is unknown
	return st, nil
}

// unchanged says the build is live already, deployed with the same
// settings.
func (st *cloudflareStart) unchanged() bool {
	return st.live != nil && st.live.Tag == st.target.Tag(st.build.BuildID)
}

// Deploy deploys the build in out to the Worker and purges what the new
// version changed.
func (c *cfTarget) Deploy(ctx context.Context, out string, o Options) error {
	w, errw, asJSON, wait, timeout := o.Stdout, o.Stderr, o.JSON, o.PurgeWait, o.Timeout
	st, err := c.start(ctx, out)
	if err != nil {
		return err
	}
	targets, err := c.site.PurgeTargets()
	if err != nil {
		return err
	}
	m, live, plan := st.build, st.live, st.plan
	if st.unchanged() {
		purgeOut := w
		if asJSON {
			purgeOut = errw
			if err := json.NewEncoder(w).Encode(CloudflareReport{Report: &cloudflare.Report{Version: live.ID, BuildID: m.BuildID}, Unchanged: true, Purge: &PurgeReport{}}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(w, "build %s is live already on Cloudflare (version %s): nothing to deploy\n", short(m.BuildID), live.ID)
		}
		// A purge an earlier run left queued (its deploy exited 3) goes now.
		if Send(ctx, purgeOut, targets, wait, true) {
			return ErrPurgePending
		}
		return nil
	}
	start := time.Now()
	progress := progressPrinter(errw)
	record, err := encodeSiteRecord(st.next)
	if err != nil {
		return err
	}
	// The upload and the version go within the timeout; the purge after
	// has --purge-wait of its own.
	dctx, cancel := context.WithTimeout(ctx, timeout)
	rep, err := st.target.Deploy(dctx, out, cloudflare.DeployOptions{Progress: progress,
		Records: []cloudflare.Record{{Path: siteRecordPath, Data: record}}})
	cancel()
	if err != nil && dctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		err = fmt.Errorf("%w (--timeout %s: run the deploy again to go on, or give it longer)", err, timeout)
	}
	if progress != nil {
		fmt.Fprintln(errw)
	}
	if errors.Is(err, cloudflare.ErrMaybeLive) {
		// If it is live, the next deploy plans its purge from this record;
		// if not, the record waits unused.
		_ = saveCloudflareRecord(c.site.Layout, m.BuildID, "", out)
	}
	if errors.Is(err, cloudflare.ErrMaybeLive) && len(targets) > 0 && plan.Requests() > 0 {
		// Purging what may have changed does no harm; not purging might.
		notes, qerr := queuePlan(targets, plan, wait)
		sayNotes(errw, notes)
		if qerr == nil {
			Send(ctx, errw, targets, wait, true)
		}
		return fmt.Errorf("%w (verge versions --target cloudflare shows what is live; its purge was sent in case)", err)
	}
	if err != nil {
		return err
	}
	// The build is live: its purge is queued before anything else can fail.
	var queueErr error
	var notes []string
	if len(targets) > 0 && plan.Requests() > 0 {
		notes, queueErr = queuePlan(targets, plan, wait)
	}
	// Kept by build id, whether or not the version's ID is known: the
	// next deploy finds it by the live version's tag.
	if err := saveCloudflareRecord(c.site.Layout, rep.BuildID, rep.Version, out); err != nil {
		rep.Warning = joinNotes(rep.Warning, fmt.Sprintf("keeping the build's record for the next deploy's purge: %v (the next deploy purges everything)", err))
	}
	purgeOut := w
	if asJSON {
		purgeOut = errw
		res := CloudflareReport{Report: rep, Purge: new(reportPurge(plan)), PurgeNotes: notes}
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "deployed build %s to Cloudflare as %s in %s\n", short(rep.BuildID), describeVersion(rep.Version), time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(w, "  uploaded %d files (%s) and %d of Verge's records, skipped %d Cloudflare had; %d files of earlier builds kept\n",
			rep.Uploaded, human.Bytes(rep.UploadedBytes), rep.Records, rep.Skipped, rep.Kept)
		if rep.Warning != "" {
			fmt.Fprintf(w, "  note: %s\n", rep.Warning)
		}
		sayPlan(w, plan, live != nil, "  purging", false)
	}
	sayNotes(purgeOut, notes)
	if queueErr != nil {
		return fmt.Errorf("deployed, but queueing its purge failed: %w (purge by hand: verge purge --all)", queueErr)
	}
	if Send(ctx, purgeOut, targets, wait, true) {
		return ErrPurgePending
	}
	return nil
}

// describeVersion names a deployed version, or says its ID is unknown.
func describeVersion(id string) string {
	if id == "" {
		return "a version whose ID is unknown (verge versions --target cloudflare lists it)"
	}
	return "version " + id
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// progressPrinter returns a progress callback that redraws one line on
// a terminal, or nil when w is not one.
func progressPrinter(w io.Writer) func(cloudflare.Progress) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(p cloudflare.Progress) {
		fmt.Fprintf(w, "\r  uploading: %d/%d files, %s/%s ", p.Files, p.TotalFiles, human.Bytes(p.Bytes), human.Bytes(p.TotalBytes))
	}
}

// DryRun prints what deploying the build in out to Cloudflare would do,
// changing nothing: the files the live version lacks (an upper bound:
// Cloudflare may hold some from other versions), and the purge.
func (c *cfTarget) DryRun(ctx context.Context, out string, o Options) error {
	w, asJSON := o.Stdout, o.JSON
	st, err := c.start(ctx, out)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	if st.prev != nil {
		for _, f := range st.prev.Manifest.Files {
			have[f.AssetHash] = true
		}
	}
	var upload []manifest.File
	if !st.unchanged() {
		for _, f := range st.build.Files {
			if !have[f.AssetHash] && !manifest.IsOwnFile(f.Path) {
				upload = append(upload, f)
			}
		}
	}
	plan := st.plan
	rep, bytes := newDryRunReport(plan, upload)
	if asJSON {
		return rep.print(w)
	}
	if st.unchanged() {
		fmt.Fprintf(w, "build %s is live already on Cloudflare (version %s): nothing to deploy\n", short(st.build.BuildID), st.live.ID)
		return nil
	}
	fmt.Fprintf(w, "would upload at most %d files (%s) to Cloudflare (it may hold some already)\n", len(rep.Upload), human.Bytes(bytes))
	sayPlan(w, plan, st.live != nil, "would purge", true)
	return nil
}
