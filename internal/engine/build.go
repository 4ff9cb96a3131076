package engine

// This file holds the build to disk: the pipeline (pipeline.go) into an
// output directory, reusing every page the previous output proves
// unchanged.

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/manifest"
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
	// Explain lists routes ("/posts/a/") to explain in Report.Explained:
	// what each read, and why it was rendered again or kept.
	Explain []string
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
	// Explained explains the pages BuildOptions.Explain named, in order.
	Explained []Explanation
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
	d := &dirTarget{s: s, opts: opts, out: out, rep: rep, t: t, prog: prog, explain: newExplainer(opts.Explain)}
	defer func() {
		if d.w != nil {
			d.w.abort()
		}
	}()
	d.stamp, d.site = sourceStamp(s.Root, out), siteVersion(key, cfg)
	if sum := readSummary(out); sum != nil && d.stamp != "" && sum.Stamp == d.stamp && sum.Site == d.site && d.mayReuse(sum) {
		// No file changed since the last build: not even a load.
		if err := d.reuseOutput(sum); err != nil {
			return nil, err
		}
		return rep, nil
	}
	if err := run(ctx, s, cfg, key, d, t, prog, &rep.Phases, &errs); err != nil {
		return nil, err
	}
	if errs.Len() > 0 {
		return nil, &errs
	}
	rep.Explained = d.explain.list(opts.Explain)
	return rep, nil
}

// dirTarget is the pipeline's target for a build to disk: the previous
// state is the output directory's manifest and tag versions; pages are
// written as they render into a new tree swapped in at the end.
type dirTarget struct {
	s    *Site
	opts BuildOptions
	out  string
	rep  *Report
	t    *timer
	prog *progress

	input   string // the inputs' hash (see inputHash)
	stamp   string // the source stamp before loading (see sourceStamp)
	site    string // the site tag's version
	explain *explainer
	prev    *previous
	w       *outWriter
	pages   []*renderedPage // by job
	todoIdx []int           // by page to render: its job
	scans   *audit.Scans    // pages read for the audit as they render; nil when not auditing
	facts   *factsStream    // the facts file, written as pages render
	served  map[string]bool // every path the build serves, for the links
	paths   interner        // the paths pages link to
}

// serves reports whether the build serves path.
func (d *dirTarget) serves(path string) bool { return d.served[path] }

func (d *dirTarget) previous() (*Build, *assets.Result, *ChangeSet, *routeCache) {
	return nil, nil, nil, nil
}

func (d *dirTarget) streaming() bool { return true }

func (d *dirTarget) assets() assetStage { return allAssets{} }

// loaded ends the build when the output directory's summary proves it
// was made from the same inputs.
func (d *dirTarget) loaded(b *Build) (bool, error) {
	d.input = b.inputHash()
	sum := readSummary(d.out)
	if sum == nil || !d.mayReuse(sum) || sum.Input != d.input {
		return false, nil
	}
	if sum.Stamp != d.stamp {
		// Files were touched, not changed: record the new stamp, so
		// that the next build need not load to find that out.
		sum.Stamp, sum.Site = d.stamp, d.site
		if err := writeSummary(d.out, sum); err != nil {
			return true, err
		}
	}
	return true, d.reuseOutput(sum)
}

// mayReuse reports whether the build may leave the output sum describes
// as it is when its inputs are proven the same.
func (d *dirTarget) mayReuse(sum *buildSummary) bool {
	return !d.opts.Force && sum.Exact && d.explain == nil
}

// reuseOutput reports the output sum describes as this build's: same
// inputs, same output, nothing to render or write.
func (d *dirTarget) reuseOutput(sum *buildSummary) error {
	rep, opts, out := d.rep, d.opts, d.out
	rep.Unchanged, rep.Pages, rep.Reused = true, sum.Pages, sum.Pages
	rep.Assets, rep.Static, rep.Bytes, rep.BuildID = sum.Assets, sum.Static, sum.Bytes, sum.BuildID
	rep.Phases = append(rep.Phases, d.t.lap("check"))
	if opts.Audit || opts.MinGrade != "" {
		var err error
		if rep.Audit, err = auditOutput(out, sum.BuildID); err != nil {
			return err
		}
		if err := belowGrade(rep.Audit, opts.MinGrade); err != nil {
			return err
		}
	}
	d.prog.done()
	return nil
}

// plan keeps every page the previous output proves unchanged.
func (d *dirTarget) plan(b *Build, jobs []PageJob, _ *routeCache, errs *diag.List) []PageJob {
	if err := checkOutDir(d.out); err != nil {
		errs.Add(&diag.Diagnostic{File: ConfigFile, Msg: err.Error()})
	}
	if errs.Len() > 0 {
		return nil
	}
	d.prev = loadPrevious(d.out, d.opts.Force)
	d.w = newOutWriter(d.out)
	d.scans = auditScans(d.opts, b.Config)
	d.pages = make([]*renderedPage, len(jobs))
	d.served = servedPaths(b.Assets.Res, jobs)
	var todo []PageJob
	for i, j := range jobs {
		if old, record := d.prev.reusable(b, j.Route); old != nil {
			d.pages[i] = &renderedPage{job: j, tags: old.Tags, record: record, links: old.Links, prev: old}
			d.explain.planned(b, d.prev, j.Route, true, record, d.opts.Force)
			continue
		}
		d.explain.planned(b, d.prev, j.Route, false, nil, d.opts.Force)
		todo = append(todo, j)
		d.todoIdx = append(d.todoIdx, i)
	}
	d.facts = newFactsStream(d.w, d.pages)
	return todo
}

// render writes each page out as soon as it is done.
func (d *dirTarget) render(ctx context.Context, b *Build, todo []PageJob, errs *diag.List) {
	for _, p := range d.pages {
		if p != nil {
			// A kept page's links go somewhere only if their targets stayed.
			checkPathLinks(d.s, b, d.serves, p.job, p.links, errs)
		}
	}
	d.prog.start("render", len(todo))
	r := newRenderer(b)
	d.w.recycle = r.Recycle // a written page's buffer serves the next
	d.w.startWriters()
	renderStage(ctx, b, r, todo, d.prog, errs, func(k int, j PageJob, o pageOutput) {
		if errs.Len() > 0 {
			return // the build fails anyway: spare the writes
		}
		html := o.HTML
		checkPageLinks(d.s, b, d.serves, j, o.Links, errs)
		p := &renderedPage{job: j, tags: o.Tags, links: linkPaths(o.Links, &d.paths), rendered: true}
		d.facts.add(d.todoIdx[k], j.Route, o.facts)
		d.explain.rendered(j.Route, o.facts)
		f := newPageFile(j, html)
		// Rendered the same bytes as last time (the site program changed,
		// say, but not this page): link the old file rather than write.
		if old := d.prev.unchanged(j.Route, f.rec.SHA256); old != nil {
			p.prev = old
			r.Recycle(html)
		} else {
			d.scans.Add(j.Route, html) // before the writer may drop html
			d.w.writeAsync(f.path, html)
			p.file = f
		}
		d.pages[d.todoIdx[k]] = p
	})
	errs.AddErr("", d.w.drain())
	d.rep.Phases = append(d.rep.Phases, d.t.lap("render"))
}

// finish checks the links, makes the manifest, audits if asked, and
// commits the output.
func (d *dirTarget) finish(_ context.Context, b *Build, errs *diag.List) error {
	s, rep, opts, out, w, prev, pages := d.s, d.rep, d.opts, d.out, d.w, d.prev, d.pages
	files := outputFiles(b.Assets.Res, pages, errs)
	if errs.Len() > 0 {
		return nil
	}
	m := buildManifest(s, b.Config, files)
	rep.Phases = append(rep.Phases, d.t.lap("manifest"))
	if opts.Audit || opts.MinGrade != "" {
		if err := w.drain(); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		var err error
		if rep.Audit, err = auditBuild(m, files, prev, w, out, d.scans); err != nil {
			return err
		}
		if err := belowGrade(rep.Audit, opts.MinGrade); err != nil {
			return err
		}
		data, err := rep.Audit.Encode()
		if err != nil {
			return err
		}
		w.extra = append(w.extra, metaFile{path: manifest.AuditPath, data: data})
		rep.Phases = append(rep.Phases, d.t.lap("audit"))
	}

	sum := summarise(m, d.input, exactTags(pages, b.versions()))
	sum.Stamp, sum.Site = d.stamp, d.site
	if err := d.facts.close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	unchanged, err := w.commit(m, files, prev, b.versions(), sum)
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	rep.Phases = append(rep.Phases, d.t.lap("write"))
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
	d.prog.done()
	return nil
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
	record   []byte   // a kept page's facts, as the facts file held them; a rendered page's went to the file
	links    []string // the paths its links point to, sorted
	file     *outputFile
	prev     *manifest.File
	rendered bool // the page function ran in this build
}
