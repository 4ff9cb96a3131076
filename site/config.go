package site

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/diag"
)

// ConfigFile is the name of a site's configuration file, at its root.
const ConfigFile = "verge.toml"

// Config is a site's verge.toml. Every key is optional: a site without the
// file builds with the defaults of DefaultConfig.
type Config struct {
	Title      string           `toml:"title"`
	BaseURL    string           `toml:"base_url"`
	Language   string           `toml:"language"`
	OutputDir  string           `toml:"output_dir"`
	Build      BuildConfig      `toml:"build"`
	Markdown   MarkdownConfig   `toml:"markdown"`
	Cache      CacheConfig      `toml:"cache"`
	Purge      PurgeConfig      `toml:"purge"`
	Cloudflare CloudflareConfig `toml:"cloudflare"`
	// Params holds free-form values for templates; Verge never reads them.
	Params map[string]any `toml:"params"`
}

// BuildConfig controls what a build produces.
type BuildConfig struct {
	Minify    bool     `toml:"minify"`    // minify HTML, CSS and JS
	Drafts    bool     `toml:"drafts"`    // include entries with draft: true
	Targets   []string `toml:"targets"`   // esbuild browser targets
	Sourcemap bool     `toml:"sourcemap"` // emit linked source maps for bundles
	Entries   []string `toml:"entries"`   // asset entry points; empty = every non-partial JS/TS/CSS file
	// CheckLinks fails the build on internal links and asset references
	// that resolve to nothing in the output.
	CheckLinks bool `toml:"check_links"`
	// MinGrade fails a build with a page graded (verge audit) below it,
	// A to F; "" grades without failing.
	MinGrade string `toml:"min_grade"`
}

// PurgeConfig says where purges go after a deploy.
type PurgeConfig struct {
	// Edges are the base URLs of the Verge edges whose caches a deploy
	// purges (verge edge --functions, or --origin), through their purge
	// API; the token comes from VERGE_PURGE_TOKEN, never from a file in
	// the repository.
	Edges []string `toml:"edges"`
}

// CloudflareConfig says where verge deploy --target cloudflare puts the
// site, and which zone's cache purges reach. The API token comes from
// CLOUDFLARE_API_TOKEN, never from a file in the repository.
type CloudflareConfig struct {
	AccountID string `toml:"account_id"` // the account the Worker is in
	Script    string `toml:"script"`     // the Worker's name
	ZoneID    string `toml:"zone_id"`    // the zone whose cache purges clear; "" skips Cloudflare purges
	// Origin is the base URL of the origin running the site's API
	// functions (verge origin); the Worker sends their routes there.
	Origin string `toml:"origin"`
	// URL is where the Worker serves the site (default base_url): URL
	// purges are made absolute on it, and a deploy from a fresh checkout
	// reads back the record of recent builds from it.
	URL               string `toml:"url"`
	CompatibilityDate string `toml:"compatibility_date"`
	MaxFiles          int    `toml:"max_files"` // files a version may hold: 20,000 free, 100,000 paid
	// PurgePerMinute and PurgeBurst are the account's purge rate limit
	// (free plan: 5 a minute, bursts of 25).
	PurgePerMinute float64 `toml:"purge_per_minute"`
	PurgeBurst     float64 `toml:"purge_burst"`
}

// MarkdownConfig controls Markdown rendering.
type MarkdownConfig struct {
	HighlightStyle string `toml:"highlight_style"` // a chroma style name
	Unsafe         bool   `toml:"unsafe"`          // pass raw HTML in Markdown through
	Typographer    bool   `toml:"typographer"`     // smart quotes and dashes
}

// CacheConfig sets the cache lifetimes written into _headers and the
// manifest. Fingerprinted files always get a year and immutable.
type CacheConfig struct {
	HTMLMaxAge     int `toml:"html_max_age"`      // browser seconds for HTML; revalidated with the ETag after
	HTMLEdgeMaxAge int `toml:"html_edge_max_age"` // CDN-Cache-Control seconds for HTML; purges refresh it
	StaticMaxAge   int `toml:"static_max_age"`    // browser seconds for unfingerprinted static files
}

// DefaultConfig is the configuration of a site without verge.toml.
func DefaultConfig() Config {
	return Config{
		Title:     "Verge site",
		BaseURL:   "http://localhost/",
		Language:  "en",
		OutputDir: "dist",
		Build: BuildConfig{
			Minify:     true,
			Targets:    []string{"es2020", "chrome100", "firefox100", "safari15", "edge100"},
			CheckLinks: true,
		},
		Markdown: MarkdownConfig{HighlightStyle: "github", Typographer: true},
		Cache: CacheConfig{
			HTMLMaxAge:     60,
			HTMLEdgeMaxAge: 31536000,
			StaticMaxAge:   3600,
		},
	}
}

// LoadConfig reads root/verge.toml over the defaults. A missing file is not
// an error; an unknown key or a value of the wrong type is, located at its
// line.
func LoadConfig(root string) (Config, error) {
	cfg := DefaultConfig()
	src, err := os.ReadFile(filepath.Join(root, ConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("read %s: %w", ConfigFile, err)
	}
	dec := toml.NewDecoder(bytes.NewReader(src)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, tomlDiagnostics(ConfigFile, 0, err, "see the verge.toml reference in README.md for the keys Verge knows")
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	if cfg.OutputDir == "" {
		cfg.OutputDir = "dist"
	}
	if g := cfg.Build.MinGrade; g != "" && !audit.ValidGrade(g) {
		return cfg, &diag.Diagnostic{File: ConfigFile, Line: keyLine(src, "min_grade"), Msg: fmt.Sprintf("[build] min_grade %q is not a grade", g),
			Hint: "give one of \"A\", \"B\", \"C\", \"D\", \"E\", \"F\", or leave it out"}
	}
	return cfg, nil
}

// keyLine is the line of the first occurrence of key in src (1-based), 0
// when it is not there.
func keyLine(src []byte, key string) int {
	i := bytes.Index(src, []byte(key))
	if i < 0 {
		return 0
	}
	return bytes.Count(src[:i], []byte("\n")) + 1
}

// tomlDiagnostics turns a go-toml error into located diagnostics; lineOffset
// shifts lines for TOML embedded in a larger file (front matter).
func tomlDiagnostics(file string, lineOffset int, err error, hint string) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var l diag.List
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, col := e.Position()
			l.Add(&diag.Diagnostic{File: file, Line: line + lineOffset, Col: col,
				Msg: fmt.Sprintf("unknown key %q", strings.Join(e.Key(), ".")), Hint: hint})
		}
		return &l
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &diag.Diagnostic{File: file, Line: line + lineOffset, Col: col,
			Msg: strings.TrimPrefix(de.Error(), "toml: "), Hint: "fix the TOML syntax or the value's type"}
	}
	return &diag.Diagnostic{File: file, Msg: err.Error(), Hint: hint}
}
