package site

// This file holds the public call into the build engine: Build, its
// options and report, and the error a failed build returns; and how a
// Site is handed to the engine.

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/manifest"
)

// BuildError is the error of a failed build (and of NewOrigin on bad
// content): every problem found, each a Diagnostic. Use errors.As to get
// it from the error Build returns.
type BuildError = diag.List

// Diagnostic is one problem a build found: a file, its line and column
// when known, what is wrong and what to do.
type Diagnostic = diag.Diagnostic

// BuildOptions control one build: the output directory, Force (render
// every page), BuildKey (which program made the pages that may be reused),
// progress output, and whether to audit and the lowest grade allowed.
type BuildOptions = engine.BuildOptions

// Report summarises a finished build: pages rendered and reused, assets,
// bytes, the time each phase took, the new manifest and, when asked for,
// the audit.
type Report = engine.Report

// Phase is the time one step of the build took.
type Phase = engine.Phase

// Build renders the site into its output directory. On any error nothing
// is written and the previous output stays as it was; the error is a
// *BuildError holding every problem found.
func (s *Site) Build(ctx context.Context, opts BuildOptions) (*Report, error) {
	return engine.BuildDir(ctx, s.engineSite(), opts)
}

// engineSite is the site as the build engine builds it.
func (s *Site) engineSite() *engine.Site {
	fns := make([]manifest.Function, len(s.funcs))
	for i, fn := range s.funcs {
		fns[i] = functionRecord(fn)
	}
	return &engine.Site{Root: s.root, Loaders: s.loaders, Routes: s.routes, Functions: fns,
		IsFunction: engine.MuxMatcher(s.funcMux), DeclErrs: s.declErrs.Items(), Config: s.engineConfig}
}

// engineConfig is engine.Site.Config: the options s.cfg gives a build,
// after reading verge.toml again if reload is set.
func (s *Site) engineConfig(reload bool) (*engine.Config, error) {
	if reload {
		s.cfg, s.cfgErr = LoadConfig(s.root)
	}
	if s.cfgErr != nil {
		return nil, s.cfgErr
	}
	// The config as pages see it: where a deploy goes and where purges
	// are sent change no page (pages cannot read them), and must not make
	// every page look changed, and purged. fmt prints maps sorted, so the
	// text is the same for the same config, NaN and all.
	shown := s.cfg
	shown.Purge, shown.Cloudflare = PurgeConfig{}, CloudflareConfig{}
	c := s.cfg
	return &engine.Config{
		Fingerprint: fmt.Sprintf("%+v\x00%s", shown, c.OutputDir),
		OutputDir:   s.outputDir(),
		Title:       c.Title, BaseURL: c.BaseURL,
		Minify: c.Build.Minify, CheckLinks: c.Build.CheckLinks,
		HTMLMaxAge: c.Cache.HTMLMaxAge, HTMLEdgeMaxAge: c.Cache.HTMLEdgeMaxAge, StaticMaxAge: c.Cache.StaticMaxAge,
		Assets: assets.Options{
			Root:      s.root,
			AssetsDir: filepath.Join(s.root, "assets"),
			StaticDir: filepath.Join(s.root, "static"),
			Entries:   c.Build.Entries,
			Target:    c.Build.Targets,
			Minify:    c.Build.Minify,
			Sourcemap: c.Build.Sourcemap,
		},
		Data: &buildData{cfg: shown, md: newMarkdown(c.Markdown)},
	}, nil
}

// outputDir is the absolute output directory of the config.
func (s *Site) outputDir() string {
	out := filepath.FromSlash(s.cfg.OutputDir)
	if !filepath.IsAbs(out) {
		out = filepath.Join(s.root, out)
	}
	return filepath.Clean(out)
}
