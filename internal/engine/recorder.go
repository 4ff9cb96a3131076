package engine

// This file holds what the engine knows of one page: the job that renders
// it, and the Recorder its reads of content go through.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// PageJob is one page a build renders.
type PageJob struct {
	Route  string // URL path, e.g. "/posts/hello/"
	Out    string // "/" + OutputPath(Route), set when the routes are expanded
	Source string // file the page comes from, for error messages
	Decl   string // "file:line" of the declaration in the site's code
	// Render writes the page, recording what it reads in rec. The site
	// supplies it: it runs the page function under its own context type,
	// which reads through rec.
	Render func(ctx context.Context, rec *Recorder, w io.Writer) error
}

// Recorder is one page's (or one function call's) view of a build: what
// it reads is recorded there, as tags and the versions read, which decide
// both which pages an incremental rebuild redoes and which edge entries a
// purge drops.
type Recorder struct {
	Build *Build
	Route string
	deps  map[string]string // tag -> version of what was read
	errs  []error           // problems found while rendering (missing assets)
}

// NewRecorder starts the reads of the page or request at route; it
// depends on the site tag from the start.
func NewRecorder(b *Build, route string) *Recorder {
	return &Recorder{Build: b, Route: route, deps: map[string]string{SiteTag: b.SiteVersion}}
}

// Read records that version of tag was read.
func (r *Recorder) Read(tag, version string) { r.deps[tag] = version }

// Tags lists what was read so far, sorted.
func (r *Recorder) Tags() []string { return slices.Sorted(maps.Keys(r.deps)) }

// Fail records a problem found while rendering; the page fails with it
// after rendering, together with any others.
func (r *Recorder) Fail(err error) { r.errs = append(r.errs, err) }

// pageRenderer adapts a page job to render.Page: it renders the page
// under a fresh Recorder and returns the tags it read.
func pageRenderer(b *Build, j PageJob) func(ctx context.Context, w io.Writer) ([]string, error) {
	return func(ctx context.Context, w io.Writer) ([]string, error) {
		rec := NewRecorder(b, j.Route)
		if err := j.Render(ctx, rec, w); err != nil {
			return nil, err
		}
		if len(rec.errs) > 0 {
			return nil, errors.Join(rec.errs...)
		}
		return rec.Tags(), nil
	}
}

// describe names where a page comes from, for messages.
func describe(j PageJob) string {
	if j.Source != j.Decl {
		return fmt.Sprintf("%s (declared at %s)", j.Source, j.Decl)
	}
	return j.Decl
}
