// Package manifest owns the description of a build's output that every
// later stage reads without the site's code: each file's path, size,
// hashes, content type, cache policy and tags, and each API function's
// route and policy. It lives at dist/_verge/manifest.json.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Path is where a build's manifest lives, relative to the output directory.
const Path = "_verge/manifest.json"

// SchemaVersion changes when the manifest's shape does.
const SchemaVersion = 1

// File kinds.
const (
	KindPage   = "page"   // rendered HTML (or another rendered route)
	KindAsset  = "asset"  // fingerprinted bundle or media: immutable
	KindStatic = "static" // copied from static/ under its own name
)

// Manifest describes one build's output.
type Manifest struct {
	Schema    int        `json:"schema"`
	BuildID   string     `json:"build_id"` // hash of every record: equal manifests, equal IDs
	Site      SiteInfo   `json:"site"`
	Files     []File     `json:"files"` // sorted by Path (Lookup relies on it)
	Functions []Function `json:"functions"`
}

// SiteInfo is what the manifest records of the site's config.
type SiteInfo struct {
	Title   string `json:"title"`
	BaseURL string `json:"base_url"`
}

// File is one output file.
type File struct {
	Path            string   `json:"path"`            // URL path with leading "/", e.g. "/posts/a/index.html"
	Route           string   `json:"route,omitempty"` // for pages: the URL it is served at, e.g. "/posts/a/"
	Kind            string   `json:"kind"`
	Size            int64    `json:"size"`
	SHA256          string   `json:"sha256"`     // hex
	AssetHash       string   `json:"asset_hash"` // Cloudflare Workers Static Assets hash
	ContentType     string   `json:"content_type"`
	CacheControl    string   `json:"cache_control"`
	CDNCacheControl string   `json:"cdn_cache_control,omitempty"`
	Integrity       string   `json:"integrity,omitempty"` // SRI of fingerprinted assets
	Tags            []string `json:"tags,omitempty"`
	// CacheTags is what the Cache-Tag header carries. For a page it is
	// PageTags(Route): tags naming the page and its groups, not what it
	// read (Tags). A manifest written before page tags has it empty or
	// collapsed, and its pages carried Tags: HeaderTags reads both.
	CacheTags []string `json:"cache_tags,omitempty"`
	// Links lists the internal URL paths a page references, so an
	// incremental build can re-check them without re-rendering.
	Links []string `json:"links,omitempty"`
}

// Function is one API function served at the origin.
type Function struct {
	Pattern     string `json:"pattern"` // net/http pattern, e.g. "GET /api/related/{slug}"
	Method      string `json:"method,omitempty"`
	Path        string `json:"path"`
	Policy      Policy `json:"policy"`
	TimeoutMS   int64  `json:"timeout_ms"`
	MaxBody     int64  `json:"max_body"`
	Concurrency int    `json:"concurrency"`
}

// Policy is a function's cache policy in seconds.
type Policy struct {
	EdgeTTL              int64    `json:"edge_ttl"`
	BrowserTTL           int64    `json:"browser_ttl"`
	StaleWhileRevalidate int64    `json:"stale_while_revalidate"`
	StaleIfError         int64    `json:"stale_if_error"`
	Vary                 []string `json:"vary,omitempty"`
	CacheControl         string   `json:"cache_control"`
	CDNCacheControl      string   `json:"cdn_cache_control"`
}

// Lookup returns the file at URL path p, or nil.
func (m *Manifest) Lookup(p string) *File {
	i := sort.Search(len(m.Files), func(i int) bool { return m.Files[i].Path >= p })
	if i < len(m.Files) && m.Files[i].Path == p {
		return &m.Files[i]
	}
	return nil
}

// Encode is m as JSON with one file record per line: compact enough to
// write fast for 10,000 pages, and still readable and diffable. The same
// manifest always encodes to the same bytes.
func (m *Manifest) Encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := m.EncodeTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeTo writes what Encode returns to w, a record at a time: the
// manifest of a 100,000-page site is near 100 MB, which a build need
// not hold.
func (m *Manifest) EncodeTo(w io.Writer) error {
	var rec bytes.Buffer // one value at a time, to trim its newline
	enc := json.NewEncoder(&rec)
	enc.SetEscapeHTML(false)
	var werr error
	put := func(trim int, after string) {
		if werr == nil {
			_, werr = w.Write(rec.Bytes()[:rec.Len()-trim])
		}
		if werr == nil {
			_, werr = io.WriteString(w, after)
		}
		rec.Reset()
	}
	head := struct {
		Schema  int      `json:"schema"`
		BuildID string   `json:"build_id"`
		Site    SiteInfo `json:"site"`
	}{m.Schema, m.BuildID, m.Site}
	if err := enc.Encode(head); err != nil {
		return err
	}
	put(2, ",\n\"files\": [\n") // drop "}\n": the lists continue the object
	for i := range m.Files {
		if err := enc.Encode(&m.Files[i]); err != nil {
			return err
		}
		sep := ",\n"
		if i == len(m.Files)-1 {
			sep = ""
		}
		put(1, sep)
	}
	if werr == nil {
		_, werr = io.WriteString(w, "\n],\n\"functions\": ")
	}
	fns := m.Functions
	if fns == nil {
		fns = []Function{}
	}
	if err := enc.Encode(fns); err != nil {
		return err
	}
	put(1, "\n}\n")
	return werr
}

// Read loads the manifest of the output directory dir.
func Read(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(Path)))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, Path), err)
	}
	if m.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, this Verge reads %d: rebuild the site", filepath.Join(dir, Path), m.Schema, SchemaVersion)
	}
	return &m, nil
}
