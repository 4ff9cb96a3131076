package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/site"
)

// cloudflareSiteURL is where the Worker serves the site.
func cloudflareSiteURL(cfg site.Config) string {
	if cfg.Cloudflare.URL != "" {
		return cfg.Cloudflare.URL
	}
	return cfg.BaseURL
}

// cloudflareTarget is the Cloudflare target of the site in dir, from its
// verge.toml; the token from CLOUDFLARE_API_TOKEN, and the API's address
// from CLOUDFLARE_BASE_URL when set (a proxy, or a test's fake).
func cloudflareTarget(dir string) (*cloudflare.Target, error) {
	cfg, err := site.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	cf := cfg.Cloudflare
	return cloudflare.New(cloudflare.Config{
		AccountID: cf.AccountID, Script: cf.Script,
		Token: os.Getenv("CLOUDFLARE_API_TOKEN"), BaseURL: os.Getenv("CLOUDFLARE_BASE_URL"),
		Origin: cf.Origin, CompatibilityDate: cf.CompatibilityDate, MaxFiles: cf.MaxFiles,
		StateDir: filepath.Join(dir, ".verge", "cloudflare"), SiteURL: cloudflareSiteURL(cfg),
	})
}

// cloudflareDeploy is what verge deploy --target cloudflare --json prints.
type cloudflareDeploy struct {
	*cloudflare.Report
	Unchanged bool         `json:"unchanged"`
	Purge     *dryRunPurge `json:"purge"`
}

// deployCloudflare deploys the build in out to the Worker of the site in
// dir and purges what the new version changed.
func deployCloudflare(ctx context.Context, w, errw io.Writer, dir, out string, asJSON bool) error {
	t, err := cloudflareTarget(dir)
	if err != nil {
		return err
	}
	targets, err := purgeTargets(dir)
	if err != nil {
		return err
	}
	m, err := readBuild(out)
	if err != nil {
		return err
	}
	live, err := t.Live(ctx)
	if err != nil {
		return err
	}
	if live != nil && live.BuildID == m.BuildID {
		if asJSON {
			return json.NewEncoder(w).Encode(cloudflareDeploy{Report: &cloudflare.Report{Version: live.ID, BuildID: m.BuildID}, Unchanged: true, Purge: &dryRunPurge{}})
		}
		fmt.Fprintf(w, "build %s is live already on Cloudflare (version %s): nothing to deploy\n", short(m.BuildID), live.ID)
		return nil
	}
	plan := &cachepurge.Plan{}
	if live != nil {
		if prev, ok := loadCloudflareRecord(dir, live.ID); ok {
			plan = cachepurge.New(prev, cachepurge.Build{Manifest: m, Versions: readTagVersions(out)}, cachepurge.Limits{TagsPerRequest: cachepurge.CloudflareTagsPerRequest})
		} else {
			// What is live was not deployed from here: what changed is unknown.
			plan = &cachepurge.Plan{Everything: true}
		}
	}
	start := time.Now()
	progress := progressPrinter(errw)
	rep, err := t.Deploy(ctx, out, progress)
	if progress != nil {
		fmt.Fprintln(errw)
	}
	if err != nil {
		return err
	}
	if err := saveCloudflareRecord(dir, rep.Version, out); err != nil {
		return fmt.Errorf("deployed %s, but keeping its record for the next deploy's purge: %w", rep.Version, err)
	}
	purgeOut := w
	if asJSON {
		purgeOut = errw
		res := cloudflareDeploy{Report: rep, Purge: &dryRunPurge{Everything: plan.Everything, Tags: plan.Tags, URLs: plan.URLs, Files: plan.Files, Changed: plan.ChangedURLs}}
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "deployed build %s to Cloudflare as version %s in %s\n", short(rep.BuildID), rep.Version, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(w, "  uploaded %d files (%s), skipped %d Cloudflare had; %d files of earlier builds kept\n",
			rep.Uploaded, human.Bytes(rep.UploadedBytes), rep.Skipped, rep.Kept)
		if rep.Warning != "" {
			fmt.Fprintf(w, "  note: %s\n", rep.Warning)
		}
		describePlan(w, plan, live != nil)
	}
	if len(targets) == 0 || plan.Requests() == 0 {
		return nil
	}
	if err := queuePlan(targets, plan); err != nil {
		return err
	}
	sendPurges(ctx, purgeOut, targets)
	return nil
}

// describePlan says what a deploy's purge covers.
func describePlan(w io.Writer, plan *cachepurge.Plan, wasLive bool) {
	switch {
	case !wasLive:
		fmt.Fprintln(w, "  purge: nothing (nothing was live)")
	case plan.Everything && len(plan.URLs) == 0:
		fmt.Fprintln(w, "  purge: everything (the live version was not deployed from this checkout, so what changed is unknown)")
	case plan.Everything:
		fmt.Fprintf(w, "  purge: everything (%d URLs changed or carry a changed tag)\n", len(plan.URLs))
	case plan.Requests() == 0:
		fmt.Fprintln(w, "  purge: nothing (no URL or tag changed)")
	default:
		fmt.Fprintf(w, "  purge: %d tags covering %d URLs (%d changed), %d requests\n", len(plan.Tags), len(plan.URLs), len(plan.ChangedURLs), plan.Requests())
	}
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

// The records of builds deployed to Cloudflare from this checkout: each
// version's manifest and tag versions, for planning the purge when the
// next build replaces it (or a rollback brings it back).
const keepRecords = 10

func cloudflareRecords(dir string) string {
	return filepath.Join(dir, ".verge", "cloudflare", "builds")
}

// saveCloudflareRecord keeps the record of the build in out, live as
// version, and drops the oldest records beyond keepRecords.
func saveCloudflareRecord(dir, version, out string) error {
	if version == "" {
		return nil
	}
	root := cloudflareRecords(dir)
	dst := filepath.Join(root, version, "_verge")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"manifest.json", "versions.json"} {
		data, err := os.ReadFile(filepath.Join(out, "_verge", name))
		if os.IsNotExist(err) && name == "versions.json" {
			continue
		}
		if err != nil {
			return err
		}
		if err := fsatomic.WriteFileDurable(filepath.Join(dst, name), data); err != nil {
			return err
		}
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(root, version), now, now)
	ents, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return -modTime(a).Compare(modTime(b)) })
	for _, e := range ents[min(len(ents), keepRecords):] {
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func modTime(e os.DirEntry) time.Time {
	info, err := e.Info()
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// loadCloudflareRecord reads the record of the build live as version.
func loadCloudflareRecord(dir, version string) (cachepurge.Build, bool) {
	p := filepath.Join(cloudflareRecords(dir), version)
	m, err := manifest.Read(p)
	if err != nil {
		return cachepurge.Build{}, false
	}
	return cachepurge.Build{Manifest: m, Versions: readTagVersions(p)}, true
}

// latestCloudflareRecord is the newest record, and its version.
func latestCloudflareRecord(dir string) (*cachepurge.Build, string) {
	ents, err := os.ReadDir(cloudflareRecords(dir))
	if err != nil || len(ents) == 0 {
		return nil, ""
	}
	newest := slices.MaxFunc(ents, func(a, b os.DirEntry) int { return modTime(a).Compare(modTime(b)) })
	b, ok := loadCloudflareRecord(dir, newest.Name())
	if !ok {
		return nil, ""
	}
	return &b, newest.Name()
}

func short(id string) string { return id[:min(len(id), 12)] }

// cloudflareVersions prints the Worker's versions, newest first.
func cloudflareVersions(ctx context.Context, w io.Writer, dir string, asJSON bool) error {
	t, err := cloudflareTarget(dir)
	if err != nil {
		return err
	}
	list, err := t.Versions(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(w).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "no versions yet: verge deploy --target cloudflare makes one")
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-6s %-36s %-19s %-12s %s\n", "LIVE", "NUMBER", "VERSION", "CREATED", "BUILD", "MESSAGE")
	for _, v := range list {
		live := ""
		if v.Percentage > 0 {
			live = fmt.Sprintf("%g%%", v.Percentage)
		}
		fmt.Fprintf(&b, "%-4s %-6d %-36s %-19s %-12s %s\n", live, v.Number, v.ID, v.Created.Local().Format(time.DateTime), short(v.BuildID), v.Message)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// cloudflareRollback deploys an earlier version and purges what differs
// between it and the version it replaces.
func cloudflareRollback(ctx context.Context, w io.Writer, dir, to string) error {
	t, err := cloudflareTarget(dir)
	if err != nil {
		return err
	}
	from, now, err := t.Rollback(ctx, to)
	if err != nil {
		return err
	}
	if from == now {
		fmt.Fprintf(w, "%s is live already\n", now)
		return nil
	}
	fmt.Fprintf(w, "rolled back from %s to %s on Cloudflare\n", orNone(from), now)
	targets, err := purgeTargets(dir)
	if err != nil || len(targets) == 0 {
		return err
	}
	prev, okPrev := loadCloudflareRecord(dir, from)
	next, okNext := loadCloudflareRecord(dir, now)
	plan := &cachepurge.Plan{Everything: true}
	if okPrev && okNext {
		plan = cachepurge.New(prev, next, cachepurge.Limits{TagsPerRequest: cachepurge.CloudflareTagsPerRequest})
	}
	describePlan(w, plan, true)
	if plan.Requests() == 0 {
		return nil
	}
	if err := queuePlan(targets, plan); err != nil {
		return err
	}
	sendPurges(ctx, w, targets)
	return nil
}

// dryRunCloudflare prints what deploying the build in out to Cloudflare
// would do, changing nothing: the files the live version lacks (an upper
// bound: Cloudflare may hold some from other versions), and the purge.
func dryRunCloudflare(ctx context.Context, w io.Writer, dir, out string, asJSON bool) error {
	t, err := cloudflareTarget(dir)
	if err != nil {
		return err
	}
	m, err := readBuild(out)
	if err != nil {
		return err
	}
	live, err := t.Live(ctx)
	if err != nil {
		return err
	}
	var prev cachepurge.Build
	known := false
	if live != nil {
		prev, known = loadCloudflareRecord(dir, live.ID)
	}
	have := map[string]bool{}
	if known {
		for _, f := range prev.Manifest.Files {
			have[f.AssetHash] = true
		}
	}
	rep := dryRunReport{}
	var bytes int64
	if live == nil || live.BuildID != m.BuildID {
		for _, f := range m.Files {
			if !have[f.AssetHash] {
				rep.Upload = append(rep.Upload, dryRunFile{f.Path, f.Size})
				bytes += f.Size
			}
		}
	}
	plan := &cachepurge.Plan{}
	switch {
	case live == nil || live.BuildID == m.BuildID:
	case known:
		plan = cachepurge.New(prev, cachepurge.Build{Manifest: m, Versions: readTagVersions(out)}, cachepurge.Limits{TagsPerRequest: cachepurge.CloudflareTagsPerRequest})
	default:
		plan = &cachepurge.Plan{Everything: true}
	}
	rep.Requests = plan.Requests()
	rep.Purge = dryRunPurge{Everything: plan.Everything, Tags: plan.Tags, URLs: plan.URLs, Files: plan.Files, Changed: plan.ChangedURLs}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "would upload at most %d files (%s) to Cloudflare\n", len(rep.Upload), human.Bytes(bytes))
	describePlan(w, plan, live != nil && live.BuildID != m.BuildID)
	return nil
}
