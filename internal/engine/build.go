package engine

// This file holds the build to disk: the pipeline load content -> expand
// routes -> render -> check -> write, reusing every page the previous
// output proves unchanged.

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/render"
)

// BuildOptions control one build.
type BuildOptions struct {
	// OutDir is the output directory; "" means the config's output_dir
	// under the site root.
	OutDir string
	// Force re-renders every page even when the previous build proves it
	// unchanged.
	Force bool
	// BuildKey identifies the site program (its code and templates);
	// pages are reused only from a build with the same key. "" means a
	// hash of the running executable.
	BuildKey string
	// Progress receives progress lines; nil prints nothing.
	Progress io.Writer
	// Terminal makes progress a single updating line.
	Terminal bool
	// Audit grades the pages (see package audit) before the output is
	// written, into Report.Audit.
	Audit bool
	// MinGrade, when not "", fails a build with a page graded below it,
	// leaving the previous output as it was. It implies Audit.
	MinGrade string
}

// Report summarises a finished build.
type Report struct {
	OutDir    string
	Pages     int // pages in the output
	Rendered  int // pages rendered this time
	Reused    int // pages proven unchanged and kept from the previous build
	Assets    int // fingerprinted asset files
	Static    int // files copied from static/
	Bytes     int64
	Unchanged bool // nothing changed: the output directory was left as it was
	BuildID   string
	Phases    []Phase
	// Manifest is the new manifest; nil when the build proved nothing
	// changed without reading the old one.
	Manifest *manifest.Manifest
	// Audit grades the pages, when BuildOptions asked for it.
	Audit *audit.Report
}

// Phase is the time one step of the build took.
type Phase struct {
	Name     string
	Duration time.Duration
}

// BuildDir renders the site into its output directory. On any error
// nothing is written and the previous output stays as it was; the error
// is a *diag.List holding every problem found.
func BuildDir(ctx context.Context, s *Site, opts BuildOptions) (*Report, error) {
	t := newTimer()
	var errs diag.List
	cfg, err := s.Config(false)
	if err != nil {
		// Without a valid config nothing else can be trusted.
		errs.AddErr(ConfigFile, err)
		return nil, &errs
	}
	out := opts.OutDir
	if out == "" {
		out = cfg.OutputDir
	}
	out, _ = filepath.Abs(out)
	rep := &Report{OutDir: out}
	prog := newProgress(opts.Progress, opts.Terminal)

	key, err := ProgramKey(opts.BuildKey)
	if err != nil {
		return nil, err
	}
	b, phases := loadStage(ctx, s, cfg, key, nil, nil, nil, allAssets{}, t, prog, &errs)
	rep.Phases = append(rep.Phases, phases...)
	res := b.Assets.Res
	if errs.Len() > 0 {
		// Rendering on top of broken content or assets would only repeat
		// the same problems page by page.
		return nil, &errs
	}

	input := b.inputHash()
	if sum := readSummary(out); sum != nil && !opts.Force && sum.Exact && sum.Input == input {
		// Same inputs, same output: nothing to render or write.
		rep.Unchanged, rep.Pages, rep.Reused = true, sum.Pages, sum.Pages
		rep.Assets, rep.Static, rep.Bytes, rep.BuildID = sum.Assets, sum.Static, sum.Bytes, sum.BuildID
		rep.Phases = append(rep.Phases, t.lap("check"))
		if opts.Audit || opts.MinGrade != "" {
			// The stored audit may be older than the output (a build that
			// did not audit came between): reuse only what still holds.
			as, err := audit.Open(out)
			if err == nil {
				rep.Audit, err = as.AuditReusing(readAudit(out))
			}
			if err != nil {
				return nil, err
			}
			if err := belowGrade(rep.Audit, opts.MinGrade); err != nil {
				return nil, err
			}
		}
		prog.done()
		return rep, nil
	}
	jobs, _ := expandRoutes(s, b, nil, &errs)
	if err := checkOutDir(out); err != nil {
		errs.Add(&diag.Diagnostic{File: ConfigFile, Msg: err.Error()})
	}
	if errs.Len() > 0 {
		return nil, &errs
	}
	prev := loadPrevious(out, opts.Force)
	w := newOutWriter(out)
	defer w.abort()
	pages := renderPages(ctx, b, jobs, prev, w, prog, &errs)
	rep.Phases = append(rep.Phases, t.lap("render"))
	if errs.Len() > 0 {
		return nil, &errs
	}

	files := outputFiles(res, pages, b.collectionTags(), &errs)
	served := servedPaths(files)
	checkLinks(s, b, func(p string) bool { return served[p] }, pages, &errs)
	if errs.Len() > 0 {
		return nil, &errs
	}
	m := buildManifest(s, cfg, files)
	rep.Phases = append(rep.Phases, t.lap("manifest"))
	if opts.Audit || opts.MinGrade != "" {
		if err := w.drain(); err != nil {
			return nil, fmt.Errorf("write %s: %w", out, err)
		}
		if rep.Audit, err = auditBuild(m, files, prev, w, out); err != nil {
			return nil, err
		}
		if err := belowGrade(rep.Audit, opts.MinGrade); err != nil {
			return nil, err
		}
		data, err := rep.Audit.Encode()
		if err != nil {
			return nil, err
		}
		w.extra = append(w.extra, metaFile{auditPath, data})
		rep.Phases = append(rep.Phases, t.lap("audit"))
	}

	sum := summarise(m, input, exactTags(pages, b.versions()))
	unchanged, err := w.commit(m, files, prev, b.versions(), sum)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", out, err)
	}
	rep.Phases = append(rep.Phases, t.lap("write"))
	rep.Unchanged, rep.Manifest, rep.BuildID = unchanged, m, m.BuildID
	rep.Assets, rep.Static, rep.Bytes = sum.Assets, sum.Static, sum.Bytes
	for _, p := range pages {
		rep.Pages++
		if p.rendered {
			rep.Rendered++
		} else {
			rep.Reused++
		}
	}
	prog.done()
	return rep, nil
}

// exactTags reports whether every page's tags are versioned inputs, so
// that the input hash covers everything the output depends on.
func exactTags(pages []*renderedPage, versions map[string]string) bool {
	for _, p := range pages {
		for _, t := range p.tags {
			if _, ok := versions[t]; !ok {
				return false
			}
		}
	}
	return true
}

// renderedPage is a page of this build: written anew (file), or kept from
// the previous build (prev) because its dependencies were unchanged or
// because it rendered to the same bytes.
type renderedPage struct {
	job      PageJob
	tags     []string
	links    []render.Link
	file     *outputFile
	prev     *manifest.File
	rendered bool // the page function ran in this build
}
