package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/manifest"
)

// dryRunReport is what verge deploy --dry-run --json prints.
type dryRunReport struct {
	Upload   []dryRunFile `json:"upload"`
	Purge    dryRunPurge  `json:"purge"`
	Requests int          `json:"requests"`
}

type dryRunFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

type dryRunPurge struct {
	Everything bool     `json:"everything"`
	Tags       []string `json:"tags"`
	URLs       []string `json:"urls"`            // every URL the tags cover
	Files      []string `json:"files,omitempty"` // changed URLs purged by URL
	Changed    []string `json:"changed_urls"`
}

// newDryRunReport is the report of a plan and the files to upload, with
// their total size.
func newDryRunReport(plan *cachepurge.Plan, upload []manifest.File) (dryRunReport, int64) {
	rep := dryRunReport{Requests: plan.Requests(), Purge: reportPurge(plan), Upload: []dryRunFile{}}
	var bytes int64
	for _, f := range upload {
		rep.Upload = append(rep.Upload, dryRunFile{f.Path, f.Size})
		bytes += f.Size
	}
	return rep, bytes
}

// reportPurge is a plan as the reports show it.
func reportPurge(plan *cachepurge.Plan) dryRunPurge {
	return dryRunPurge{Everything: plan.Everything, Tags: orEmpty(plan.Tags), URLs: orEmpty(plan.URLs), Files: plan.Files, Changed: orEmpty(plan.ChangedURLs)}
}

// print writes the report as indented JSON.
func (rep dryRunReport) print(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// sayPlan says what a purge plan covers, after lead ("would purge",
// "  purge"), listing the tags and URLs when list is set; wasLive says
// something was live to purge.
func sayPlan(w io.Writer, plan *cachepurge.Plan, wasLive bool, lead string, list bool) {
	switch {
	case !wasLive:
		fmt.Fprintf(w, "%s nothing: nothing is live yet\n", lead)
	case plan.Everything && len(plan.URLs) == 0:
		fmt.Fprintf(w, "%s everything: the live version was not deployed from here, so what changed is unknown\n", lead)
	case plan.Everything:
		fmt.Fprintf(w, "%s everything: %d of the live URLs changed or carry a changed tag\n", lead, len(plan.URLs))
	case plan.Requests() == 0:
		fmt.Fprintf(w, "%s nothing: no URL or tag changed\n", lead)
	default:
		fmt.Fprintf(w, "%s %d tags covering %d URLs (%d changed) in %d requests\n", lead, len(plan.Tags), len(plan.URLs), len(plan.ChangedURLs), plan.Requests())
		if !list {
			return
		}
		for _, t := range plan.Tags {
			fmt.Fprintf(w, "  %s\n", t)
		}
		for _, f := range plan.Files {
			fmt.Fprintf(w, "  url %s\n", f)
		}
	}
}

// dryRun prints what deploying the build in out to s would do, changing
// nothing: the files to upload, and the purge that would follow (its
// tags, the URLs they cover, the requests).
func dryRun(w io.Writer, s *edge.Store, out string, asJSON bool) error {
	m, err := readBuild(out)
	if err != nil {
		return err
	}
	plan, live, err := planPurge(s, m, out)
	if err != nil {
		return err
	}
	rep, bytes := newDryRunReport(plan, s.Missing(m))
	if asJSON {
		return rep.print(w)
	}
	fmt.Fprintf(w, "would upload %d files (%s); %d already stored\n", len(rep.Upload), human.Bytes(bytes), len(m.Files)-len(rep.Upload))
	sayPlan(w, plan, live.Manifest != nil, "would purge", true)
	if live.Manifest != nil && live.Versions == nil {
		fmt.Fprintln(w, "note: the live version's tag versions are unknown (deployed by an older Verge): content changes only function responses show may be missed")
	}
	return nil
}

// liveBuild is the store's live version as purge planning sees it (no
// manifest when nothing is live).
func liveBuild(s *edge.Store) (cachepurge.Build, error) {
	id, err := s.Active()
	if err != nil || id == "" {
		return cachepurge.Build{}, err
	}
	return storeBuild(s, id)
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

// readBuild reads the manifest of the build output in out.
func readBuild(out string) (*manifest.Manifest, error) {
	m, err := manifest.Read(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: build the site first (verge build)", out, manifest.Path)
	}
	return m, err
}

// planPurge plans the purge deploying the build in out (whose manifest
// is m) would need, against the live build it returns with it.
func planPurge(s *edge.Store, m *manifest.Manifest, out string) (*cachepurge.Plan, cachepurge.Build, error) {
	live, err := liveBuild(s)
	if err != nil {
		return nil, live, err
	}
	next := cachepurge.Build{Manifest: m, Versions: readTagVersions(out)}
	return cachepurge.New(live, next, cachepurge.Limits{TagsPerRequest: 100}), live, nil
}

// queuePurge puts a deploy's purge plan in the site's outboxes and sends
// it, with anything an earlier run left queued (no purge targets
// configured: nothing to purge).
func queuePurge(ctx context.Context, w io.Writer, dir string, plan *cachepurge.Plan, wait time.Duration) error {
	targets, err := purgeTargets(dir)
	if err != nil {
		return err
	}
	return sendPlan(ctx, w, targets, plan, wait)
}

// sendPlan queues plan for the targets and sends it, with anything an
// earlier run left queued; what stays queued is errPurgePending.
func sendPlan(ctx context.Context, w io.Writer, targets []purgeTarget, plan *cachepurge.Plan, wait time.Duration) error {
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
	if sendPurges(ctx, w, targets, wait, true) {
		return errPurgePending
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
// run waits for (wait, see sendPurges), one purge of everything goes instead:
// a deploy's purge should not wait on a CI runner that is about to go.
// Each such switch is a note for the user, saying why.
func queuePlan(targets []purgeTarget, plan *cachepurge.Plan, wait time.Duration) ([]string, error) {
	var notes []string
	for _, t := range targets {
		one := []purgeTarget{t}
		if !plan.Everything {
			if need, allowed, ok := withinRate(t.outbox, plan, wait); !ok {
				lim := t.outbox.Limits().Rate
				notes = append(notes, fmt.Sprintf("purge at %s: its rate limit (%g a minute, bursts of %g) would hold %d of the %d requests due past --purge-wait %s; purging everything instead (1 request)",
					t.name, lim.PerMinute, lim.Burst, need-int(allowed), need, wait))
			} else {
				if err := queueBatches(one, plan); err != nil {
					return notes, err
				}
				continue
			}
		}
		if _, err := queue(one, cachepurge.Purge{Everything: true}); err != nil {
			return notes, err
		}
	}
	return notes, nil
}

// queueBatches queues the plan's requests as they are.
func queueBatches(targets []purgeTarget, plan *cachepurge.Plan) error {
	for _, b := range plan.Batches {
		if _, err := queue(targets, cachepurge.Purge{Tags: b}); err != nil {
			return err
		}
	}
	if len(plan.Files) > 0 {
		if _, err := queue(targets, cachepurge.Purge{URLs: plan.Files}); err != nil {
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

// readTagVersions reads a build output's tag versions, nil when absent.
func readTagVersions(out string) map[string]string {
	data, err := os.ReadFile(filepath.Join(out, "_verge", "versions.json"))
	if err != nil {
		return nil
	}
	var tv map[string]string
	if json.Unmarshal(data, &tv) != nil {
		return nil
	}
	return tv
}

// orEmpty is s, or an empty list rather than JSON's null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
