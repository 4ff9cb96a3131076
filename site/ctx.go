package site

import (
	"context"
	"path"
	"runtime"
	"strings"

	"github.com/vergehq/verge/internal/engine"
)

// Ctx is passed to every page function (and, through context.Context, to
// every component it renders). Content read through it is recorded: the
// recorded tags are what the page depends on, so they decide both which
// pages an incremental rebuild redoes and which edge entries a purge drops.
//
// A Ctx is a thin view of the build engine's per-page recorder.
type Ctx struct {
	context.Context
	rec *engine.Recorder
}

type ctxKey struct{}

func newCtx(parent context.Context, rec *engine.Recorder) *Ctx {
	c := &Ctx{rec: rec}
	c.Context = context.WithValue(parent, ctxKey{}, c)
	return c
}

// FromContext returns the Ctx a component is being rendered under, or nil
// outside a Verge render.
func FromContext(ctx context.Context) *Ctx {
	if c, ok := ctx.(*Ctx); ok {
		return c
	}
	c, _ := ctx.Value(ctxKey{}).(*Ctx)
	return c
}

// Route is the URL path of the page being rendered, e.g. "/posts/hello/".
func (c *Ctx) Route() string { return c.rec.Route }

// Config is the site's configuration as pages see it: without where it is
// deployed and purged ([cloudflare], [purge]), which change no page.
func (c *Ctx) Config() *Config { return &perBuild(c.rec.Build).cfg }

// Depend records a dependency by hand, for content a page reads outside
// Verge's readers: the tag goes into the page's Cache-Tag, so purging it
// reaches the page. Verge cannot know such content's version before
// rendering, so a page with a Depend tag is rendered by every build.
func (c *Ctx) Depend(tag, version string) {
	c.rec.Read(tag, version)
}

// Tags lists what the page has read so far, sorted.
func (c *Ctx) Tags() []string { return c.rec.Tags() }

// callerSite names the first caller outside Verge and templ as
// "file:line" relative to the site root, so an error raised inside a
// helper such as Stylesheet points at the component that called it.
func (c *Ctx) callerSite() (string, int) {
	_, self, _, _ := runtime.Caller(0)
	siteDir := path.Dir(self)
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if !internalFrame(siteDir, f.File) {
			return relPath(c.rec.Build.Root, f.File), f.Line
		}
		if !more {
			return "", 0
		}
	}
}

// internalFrame reports whether a source file belongs to Verge's build
// machinery or templ's runtime rather than to the site. Files, not function
// names, decide: a closure inlined into site code carries the site's name.
func internalFrame(siteDir, file string) bool {
	dir := path.Dir(file)
	switch {
	case dir == siteDir:
		return !strings.HasSuffix(file, "_test.go")
	case dir == path.Join(path.Dir(siteDir), "render"), dir == path.Join(path.Dir(siteDir), "internal", "engine"):
		return true
	}
	return strings.Contains(file, "/a-h/templ")
}
