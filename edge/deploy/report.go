package deploy

// A deploy's purge plan as the reports show it: what --dry-run prints,
// and the purge part of a deploy's JSON report.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/manifest"
)

// DryRunReport is what a dry run prints as JSON.
type DryRunReport struct {
	Upload   []DryRunFile `json:"upload"`
	Purge    PurgeReport  `json:"purge"`
	Requests int          `json:"requests"`
}

// DryRunFile is a file a deploy would upload.
type DryRunFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// PurgeReport is a purge plan as the reports show it: what it purges by
// tag and by URL, and what changed.
type PurgeReport struct {
	Everything bool     `json:"everything"`
	Tags       []string `json:"tags"`
	URLs       []string `json:"urls"`            // every URL the tags cover
	Files      []string `json:"files,omitempty"` // changed URLs purged by URL
	Changed    []string `json:"changed_urls"`
}

// newDryRunReport is the report of a plan and the files to upload, with
// their total size.
func newDryRunReport(plan *cachepurge.Plan, upload []manifest.File) (DryRunReport, int64) {
	rep := DryRunReport{Requests: plan.Requests(), Purge: reportPurge(plan), Upload: []DryRunFile{}}
	var bytes int64
	for _, f := range upload {
		rep.Upload = append(rep.Upload, DryRunFile{f.Path, f.Size})
		bytes += f.Size
	}
	return rep, bytes
}

// reportPurge is a plan as the reports show it.
func reportPurge(plan *cachepurge.Plan) PurgeReport {
	return PurgeReport{Everything: plan.Everything, Tags: orEmpty(plan.Tags), URLs: orEmpty(plan.URLs), Files: plan.Files, Changed: orEmpty(plan.ChangedURLs)}
}

// print writes the report as indented JSON.
func (rep DryRunReport) print(w io.Writer) error {
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
		fmt.Fprintf(w, "%s everything: %d of the live URLs changed (all of them, or 99%% and more)\n", lead, len(plan.URLs))
	case plan.Requests() == 0:
		fmt.Fprintf(w, "%s nothing: no URL or tag changed\n", lead)
	default:
		fmt.Fprintf(w, "%s %d tags covering %d URLs (%d changed) in %d requests\n", lead, len(plan.Tags), len(plan.URLs), len(plan.ChangedURLs), plan.Requests())
		if n := len(plan.Retagged); n > 0 {
			fmt.Fprintf(w, "  (%d of them unchanged but cached with an older Verge's Cache-Tag: purged once, so that later purges reach them)\n", n)
		}
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

// readBuild reads the manifest of the build output in out.
func readBuild(out string) (*manifest.Manifest, error) {
	m, err := manifest.Read(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: build the site first (verge build)", out, manifest.Path)
	}
	return m, err
}

// readNext is the build in out (its manifest m) as purge planning reads it.
func readNext(out string, m *manifest.Manifest) cachepurge.Build {
	return cachepurge.Build{Manifest: m, Versions: manifest.ReadTagVersions(out)}
}

// orEmpty is s, or an empty list rather than JSON's null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
