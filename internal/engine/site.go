// Package engine is Verge's build engine: the staged pipeline that turns a
// site's declarations into pages (load content -> expand routes -> render
// -> check -> write to dist/ or serve from memory, pipeline.go), and the
// incremental state that lets a build redo only the pages whose
// dependencies changed. `verge build` (BuildDir), `verge serve`
// (DevBuilder) and `verge origin` (LoadContent) run the same pipeline;
// they differ in its target: where the previous state comes from and
// where the output goes.
//
// The engine knows nothing of package site, which imports it: a site is
// given to it as a Site, whose content sources (Loader) and routes (Route)
// are small interfaces package site implements with its generic
// collections, and whose pages render through a closure over the engine's
// per-page Recorder.
package engine

// This file holds what the engine needs of a site: its declarations
// (Site), the options its configuration gives a build (Config), and the
// interfaces its content sources and routes implement.

import (
	"net/http"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/manifest"
)

// ConfigFile is the name of a site's configuration file, at its root: a
// change to it makes the dev server reload the configuration.
const ConfigFile = "verge.toml"

// Site is a site program's declarations as the engine builds them.
type Site struct {
	Root      string
	Loaders   []Loader // content sources, loaded in this order by every build
	Routes    []Route
	Functions []manifest.Function // the API functions, for the manifest
	// IsFunction reports whether a URL path is served by an API function,
	// so that links to one are not reported as broken; nil for none.
	IsFunction func(path string) bool
	// DeclErrs are mistakes in the declarations themselves, reported with
	// a build's other errors.
	DeclErrs []*diag.Diagnostic
	// Config returns the options of the site's configuration, reading
	// the configuration file again when reload is set. Each call returns
	// a fresh Config.Data. An error is the configuration file's.
	Config func(reload bool) (*Config, error)
}

// Config is what a site's configuration decides about a build.
type Config struct {
	// Fingerprint is the configuration as pages see it, as text: it is
	// part of the version of the site tag every page carries.
	Fingerprint string
	OutputDir   string // absolute
	Title       string // for the manifest
	BaseURL     string // for the manifest
	Minify      bool
	CheckLinks  bool
	// Cache lifetimes, in seconds, of HTML (browser and edge) and of
	// static files.
	HTMLMaxAge, HTMLEdgeMaxAge, StaticMaxAge int
	Assets                                   assets.Options
	// Data is what the site keeps for one build beside the engine's
	// state (its configuration as pages read it, its Markdown renderer):
	// the engine hands it over as Build.Data.
	Data any
}

// Loader is a source of content (a collection, a data file, a taxonomy)
// loaded afresh by every build, into the build's state (Build.SetState).
type Loader interface {
	Load(b *Build, errs *diag.List)
}

// Reloader is a Loader that can reuse what an earlier build loaded, given
// what changed on disk since.
type Reloader interface {
	Reload(b, old *Build, ch *ChangeSet, errs *diag.List)
}

// Versioned is a Loader whose loaded state has tag versions.
type Versioned interface {
	// TagVersions returns the tags of the loader's state in b and their
	// versions. The map may be shared with other builds: it is read-only.
	TagVersions(b *Build) map[string]string
}

// DeltaState is a loaded state that can tell which of its tags may have
// versions other than those of an earlier state.
type DeltaState interface {
	Delta(from any) (tags []string, ok bool)
}

// Route is a declared route; a build expands it into concrete pages.
type Route interface {
	Expand(b *Build) []PageJob
	// Input is the loaded state the route's pages come from: the same
	// input, the same pages (nil: the route has one fixed page).
	Input(b *Build) any
}

// Reexpander is a Route that can reuse an earlier expansion's pages.
type Reexpander interface {
	// Reexpand is Expand, reusing prev, the pages expanded from the
	// input was, where they are still the same.
	Reexpand(b *Build, was any, prev []PageJob) []PageJob
}

// isFunctionPath reports whether the site serves p with an API function.
func (s *Site) isFunctionPath(p string) bool {
	return s.IsFunction != nil && s.IsFunction(p)
}

// MuxMatcher is a Site.IsFunction for the patterns registered on mux.
func MuxMatcher(mux *http.ServeMux) func(string) bool {
	if mux == nil {
		return nil
	}
	return func(p string) bool {
		req, err := http.NewRequest(http.MethodGet, p, nil)
		if err != nil {
			return false
		}
		_, pattern := mux.Handler(req)
		return pattern != ""
	}
}
