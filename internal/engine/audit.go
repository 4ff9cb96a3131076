package engine

// This file holds the optional audit stage of the build to disk: grading
// the pages before they are written, reusing the grades that still hold,
// from what was read of each page as it rendered (pages written anew;
// the others are read back only when their grade no longer holds).

import (
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/manifest"
)

// auditBuild grades the build m describes before it is written out: its
// pages are in the writer's temporary directory, or in the previous
// output when kept from it; assets and static files in memory.
func auditBuild(m *manifest.Manifest, files []*outputFile, prev *previous, w *outWriter, out string, scans *audit.Scans) (*audit.Report, error) {
	byPath := make(map[string]*outputFile, len(files))
	for _, f := range files {
		byPath[f.path] = f
	}
	read := func(f *manifest.File) ([]byte, error) {
		of := byPath[f.Path]
		switch {
		case of == nil:
			return nil, fs.ErrNotExist
		case of.data != nil:
			return of.data, nil
		case of.prev != nil:
			return os.ReadFile(prev.path(of.prev))
		}
		if w.tmp != "" {
			if data, err := os.ReadFile(inDir(w.tmp, f.Path)); err == nil {
				return data, nil
			}
		}
		// Rendered again, the same as before: not written again.
		if prev != nil {
			if pf := prev.m.Lookup(f.Path); pf != nil && pf.SHA256 == f.SHA256 {
				return os.ReadFile(prev.path(pf))
			}
		}
		return nil, fmt.Errorf("%s: %w", f.Path, fs.ErrNotExist)
	}
	return audit.New(m, read).AuditScanned(readAudit(out), scans)
}

// auditScans holds the pages of a build that audits as they render, so
// that the audit need not read them back (nil, which takes nothing, when
// the build does not audit).
func auditScans(opts BuildOptions, cfg *Config) *audit.Scans {
	if !opts.Audit && opts.MinGrade == "" {
		return nil
	}
	return audit.NewScans(cfg.BaseURL)
}

// auditOutput grades the output directory out, whose manifest has the ID
// build: the stored audit when it graded that very output (nothing to
// read but it), else an audit reusing what of it still holds (a build
// that did not audit may have come between).
func auditOutput(out, build string) (*audit.Report, error) {
	stored := readAudit(out)
	if stored != nil && build != "" && stored.BuildID() == build {
		return stored, nil
	}
	as, err := audit.Open(out)
	if err != nil {
		return nil, err
	}
	return as.AuditReusing(stored)
}

// readAudit returns the audit stored in an output directory, or nil.
func readAudit(out string) *audit.Report {
	data, err := os.ReadFile(inDir(out, manifest.AuditPath))
	if err != nil {
		return nil
	}
	r, err := audit.Decode(data)
	if err != nil {
		return nil
	}
	return r
}

// belowGrade returns the build's failure when pages grade below min
// ("" for none): one diagnostic per page, naming the rules that cost it
// the most.
func belowGrade(r *audit.Report, min string) error {
	if min == "" || r == nil {
		return nil
	}
	var errs diag.List
	for _, p := range r.Pages {
		if audit.AtLeast(p.Grade, min) {
			continue
		}
		var worst []string
		for _, rs := range p.Rules {
			if rs.Score < 100 && rs.Weight > 0 {
				what := ""
				if len(rs.Offenders) > 0 {
					what = ": " + rs.Offenders[0].What
				}
				worst = append(worst, fmt.Sprintf("%s %d%s", rs.ID, rs.Score, what))
			}
		}
		errs.Add(&diag.Diagnostic{File: "page " + p.Route,
			Msg:  fmt.Sprintf("grades %s (%d), below the minimum %s: %s", p.Grade, p.Score, strings.ToUpper(min), strings.Join(worst, "; ")),
			Hint: "verge audit --all shows every offender and what to do; the minimum is [build] min_grade in verge.toml or --min-grade"})
	}
	if errs.Len() == 0 {
		return nil
	}
	return &errs
}
