// Package site is the authoring API a Verge site's main.go imports: it
// declares collections, data files, routes and API functions, and loads
// verge.toml. Every content read goes through a Ctx that records what the
// page depends on. Building, serving and the origin are Verge's build
// engine (internal/engine) and dev server (internal/devserver), which
// Main and Build call.
package site

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"

	"github.com/yuin/goldmark"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/protocol"
)

// Site is a site's declaration: what content it has and which pages,
// functions and files it produces. It holds no build results, so one Site
// can be built many times (as the dev server does).
type Site struct {
	root    string
	cfg     Config
	cfgErr  error
	loaders []engine.Loader
	routes  []engine.Route
	funcs   []*Function
	funcMux *http.ServeMux // the functions' patterns, to validate them and match links
	// declErrs are mistakes in the declarations themselves (a bad route
	// pattern, say), reported with the build's other errors.
	declErrs diag.List
}

// New declares a site rooted at the current directory, or at $VERGE_ROOT
// when set (the verge CLI sets it when it runs the site program).
func New() *Site {
	root := os.Getenv(protocol.EnvRoot)
	if root == "" {
		root, _ = os.Getwd()
	}
	return NewAt(root)
}

// NewAt declares a site rooted at dir and reads its verge.toml. A bad
// config is reported when the site is built, together with other errors.
func NewAt(dir string) *Site {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	s := &Site{root: abs}
	s.cfg, s.cfgErr = LoadConfig(abs)
	return s
}

// Root is the site's source directory.
func (s *Site) Root() string { return s.root }

// Config is the site's configuration as loaded from verge.toml.
func (s *Site) Config() *Config { return &s.cfg }

// buildData is what site keeps per build beside the engine's state.
type buildData struct {
	cfg Config // as pages see it (see pageConfig)
	md  goldmark.Markdown
}

// perBuild is the site's part of build b.
func perBuild(b *engine.Build) *buildData { return b.Data.(*buildData) }

// declError records a mistake in a declaration, located at the caller of
// the declaring function in the site's code.
func (s *Site) declError(format string, args ...any) {
	_, file, line, _ := runtime.Caller(2)
	s.declErrs.Add(&diag.Diagnostic{File: relPath(s.root, file), Line: line, Msg: fmt.Sprintf(format, args...)})
}
