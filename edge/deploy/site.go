// Package deploy puts a site's build output live on a deploy target and
// keeps the edge caches in front of it right: each Target (the local
// store, a Cloudflare Worker) deploys a build, lists its versions and
// rolls back; the purge that replacing a live build takes is planned from
// the two builds (package cachepurge), queued in the site's outboxes and
// sent, within each purge target's limits. It also owns the layout of a
// site's .verge/ directory, the records of deployed builds, the mapping
// from content files to the tags that purge them, and the CMS webhook.
//
// It reads the site's configuration as Config, given by the caller: a
// deploy needs the build output, never the site's code.
package deploy

import "path/filepath"

// Config is what deploying reads of a site's verge.toml.
type Config struct {
	BaseURL    string
	OutputDir  string   // the build output, relative to the site (or absolute)
	PurgeEdges []string // Verge edges whose caches a deploy purges
	Cloudflare Cloudflare
}

// Cloudflare is the site's [cloudflare] section: the Worker a deploy
// goes to, and the zone whose cache a purge clears.
type Cloudflare struct {
	AccountID, Script, ZoneID string
	Origin                    string // where the Worker sends the API functions' routes
	URL                       string // where the Worker serves the site; default BaseURL
	CompatibilityDate         string
	MaxFiles                  int
	PurgePerMinute            float64
	PurgeBurst                float64
}

// Site is a site as deploying sees it: its directory, its configuration
// and how its content files map to tags.
type Site struct {
	Dir    string
	Layout Layout
	// LoadConfig reads the site's configuration. It is called when a
	// step needs it, each time, so a long-running webhook sees edits
	// and a step that needs none does not fail on a bad file.
	LoadConfig func() (Config, error)
	// FileTags lists the tags a site file (a path relative to Dir) may
	// stand for, most specific first; nil for a file that is not
	// content or data.
	FileTags func(rel string) []string
	// Store is the local store's directory; "" for Layout.Store().
	Store string
}

// NewSite is the site in dir, its .verge/ in dir.
func NewSite(dir string, load func() (Config, error), fileTags func(string) []string) *Site {
	return &Site{Dir: dir, Layout: Layout{Root: filepath.Join(dir, ".verge")}, LoadConfig: load, FileTags: fileTags}
}

// Output is the site's build output: flag when given, else the
// configuration's output directory, as an absolute path.
func (s *Site) Output(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	cfg, err := s.LoadConfig()
	if err != nil {
		return "", err
	}
	out := filepath.FromSlash(cfg.OutputDir)
	if !filepath.IsAbs(out) {
		out = filepath.Join(s.Dir, out)
	}
	return filepath.Abs(out)
}

// StoreDir is the local store's directory.
func (s *Site) StoreDir() string {
	if s.Store != "" {
		return s.Store
	}
	return s.Layout.Store()
}

// siteURL is where the Worker serves the site.
func (c Config) siteURL() string {
	if c.Cloudflare.URL != "" {
		return c.Cloudflare.URL
	}
	return c.BaseURL
}

// Layout is the layout of a site's .verge/ directory: Verge's state of
// the site, kept beside it and never deployed. Every path under it is
// named here.
type Layout struct {
	Root string // the .verge directory
}

// Store is the local deploy target's content-addressed store.
func (l Layout) Store() string { return filepath.Join(l.Root, "store") }

// Cloudflare is the Cloudflare target's state (see cloudflare.Config's
// StateDir).
func (l Layout) Cloudflare() string { return filepath.Join(l.Root, "cloudflare") }

// CloudflareBuilds holds the records of builds deployed to Cloudflare,
// one directory per build id.
func (l Layout) CloudflareBuilds() string { return filepath.Join(l.Cloudflare(), "builds") }

// EdgeOutbox is the outbox of purges for the Verge edges.
func (l Layout) EdgeOutbox() string { return filepath.Join(l.Root, "outbox") }

// CloudflareOutbox is the outbox of purges for the Cloudflare zone.
func (l Layout) CloudflareOutbox() string { return filepath.Join(l.Root, "outbox-cloudflare") }
