package engine

// This file holds the files of a build's output and the manifest that
// describes them.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/manifest"
)

// outputFile is one file of the build's output and what the manifest
// records of it. Pages are hashed and written as they are rendered, so
// only assets keep their bytes (data) until the output is committed.
type outputFile struct {
	rec  manifest.File
	data []byte         // assets and static files only
	prev *manifest.File // a page kept from the previous build
	path string         // rec.Path, for brevity
}

// newPageFile hashes a freshly rendered page of an expanded job (whose
// Out is set).
func newPageFile(j PageJob, html []byte) *outputFile {
	p := j.Out
	return &outputFile{path: p, rec: manifest.File{
		Path: p, Route: j.Route, Kind: manifest.KindPage, ContentType: PageContentType(j.Route),
		Size: int64(len(html)), SHA256: manifest.SHA256(html), AssetHash: manifest.AssetHash(p, html),
	}}
}

// outputFiles lists every file the build writes, sorted by path, and
// reports two sources producing the same file.
func outputFiles(res *assets.Result, pages []*renderedPage, errs *diag.List) []*outputFile {
	var files []*outputFile
	byPath := map[string]string{} // path -> what produced it
	add := func(f *outputFile, origin string) {
		if first, dup := byPath[f.path]; dup {
			errs.Add(&diag.Diagnostic{File: origin, Msg: fmt.Sprintf("%s is produced twice: by %s and by %s", f.path, first, origin),
				Hint: "rename the static file or change the route"})
			return
		}
		byPath[f.path] = origin
		files = append(files, f)
	}
	if res != nil {
		for _, a := range res.Files {
			kind, origin := manifest.KindStatic, "static/"+strings.TrimPrefix(a.Path, "/")
			if a.Fingerprinted {
				kind, origin = manifest.KindAsset, "assets/"+a.Source
			}
			add(&outputFile{path: a.Path, data: a.Data, rec: manifest.File{Path: a.Path, Kind: kind, ContentType: a.ContentType,
				Integrity: a.Integrity, Size: int64(len(a.Data)), SHA256: manifest.SHA256(a.Data), AssetHash: manifest.AssetHash(a.Path, a.Data)}}, origin)
		}
	}
	for _, p := range pages {
		f := p.file
		if p.prev != nil {
			rec := *p.prev
			f = &outputFile{path: rec.Path, rec: rec, prev: p.prev}
		}
		f.rec.Tags = p.tags
		f.rec.CacheTags = headerTags(f.rec.Route)
		f.rec.Links = p.links
		add(f, describe(p.job))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files
}

func PageContentType(route string) string {
	if strings.HasSuffix(route, "/") {
		return "text/html; charset=utf-8"
	}
	return assets.ContentType(path.Base(route))
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// buildManifest describes files: hashes, types, cache policy and tags.
func buildManifest(s *Site, cfg *Config, files []*outputFile) *manifest.Manifest {
	m := &manifest.Manifest{
		Schema: manifest.SchemaVersion,
		Site:   manifest.SiteInfo{Title: cfg.Title, BaseURL: cfg.BaseURL},
		Files:  make([]manifest.File, len(files)),
	}
	for i, f := range files {
		f.rec.CacheControl, f.rec.CDNCacheControl = cachePolicy(cfg, f.rec.Kind)
		m.Files[i] = f.rec
	}
	m.Functions = append(m.Functions, s.Functions...)
	h := sha256.New()
	for _, f := range m.Files {
		// Every field: two builds share an ID only if their manifests are
		// the same, so a changed cache lifetime is a changed build.
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\n",
			f.Path, f.Route, f.Kind, f.Size, f.SHA256, f.AssetHash, f.ContentType, f.CacheControl, f.CDNCacheControl, f.Integrity,
			strings.Join(f.Tags, ","), strings.Join(f.CacheTags, ","), strings.Join(f.Links, ","))
	}
	for _, fn := range m.Functions {
		fmt.Fprintf(h, "%+v\x00", fn)
	}
	fmt.Fprintf(h, "%s\x00%s", m.Site.Title, m.Site.BaseURL)
	m.BuildID = hex.EncodeToString(h.Sum(nil)[:16])
	return m
}

// cachePolicy is the Cache-Control and CDN-Cache-Control a kind of file is
// served with (see DESIGN.md, caching model).
func cachePolicy(c *Config, kind string) (browser, cdn string) {
	switch kind {
	case manifest.KindAsset:
		return "public, max-age=31536000, immutable", ""
	case manifest.KindStatic:
		return fmt.Sprintf("public, max-age=%d", c.StaticMaxAge), ""
	default:
		return fmt.Sprintf("public, max-age=%d, must-revalidate", c.HTMLMaxAge), fmt.Sprintf("public, max-age=%d", c.HTMLEdgeMaxAge)
	}
}
