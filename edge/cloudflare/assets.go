package cloudflare

import (
	"fmt"
	"mime"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/manifest"
)

// maxFileSize is the largest file Workers Static Assets takes.
const maxFileSize = 25 << 20

// asset is one file of a deploy's manifest.
type asset struct {
	Path        string `json:"path"` // URL path, with a leading "/"
	Hash        string `json:"hash"` // Cloudflare's asset hash
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`

	src  string // the file in dist; "" when data holds the bytes or Cloudflare has them already
	data []byte
}

// read returns the asset's bytes.
func (a *asset) read() ([]byte, error) {
	if a.data != nil || a.src == "" {
		return a.data, nil
	}
	return os.ReadFile(a.src)
}

// bundle is what one deploy puts on Cloudflare.
type bundle struct {
	assets    []asset // sorted by Path
	current   int     // how many of them are this build's (the rest are kept), records included
	records   int     // how many of those are records (generated for the deploy)
	headers   string  // _headers text
	redirects string  // _redirects text
}

// manifestEntry is one file of the assets manifest the API takes.
type manifestEntry struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
}

// apiManifest is the assets manifest in the API's shape.
func (b *bundle) apiManifest() map[string]manifestEntry {
	out := make(map[string]manifestEntry, len(b.assets))
	for _, a := range b.assets {
		out[a.Path] = manifestEntry{a.Hash, a.Size}
	}
	return out
}

// byHash maps each hash to a file that has its bytes.
func (b *bundle) byHash() map[string]*asset {
	out := make(map[string]*asset, len(b.assets))
	for i := range b.assets {
		a := &b.assets[i]
		if a.src != "" || a.data != nil {
			out[a.Hash] = a
		}
	}
	return out
}

// newBundle lists the files of the build in dist (its manifest m) for
// Cloudflare, plus the kept files of earlier builds whose paths this
// build does not use, and the extra files generated for the deploy.
// Verge's own records under /_verge/ stay out, and a _redirects file from
// static/ becomes the Worker's redirect rules.
func newBundle(dist string, m *manifest.Manifest, kept []asset, extra []asset, maxFiles int) (*bundle, error) {
	b := &bundle{}
	seen := map[string]bool{}
	for _, f := range m.Files {
		src := filepath.Join(dist, filepath.FromSlash(strings.TrimPrefix(f.Path, "/")))
		switch {
		case f.Path == manifest.RedirectsFile:
			data, err := os.ReadFile(src)
			if err != nil {
				return nil, err
			}
			b.redirects = string(data)
			continue
		case manifest.IsOwnFile(f.Path):
			continue
		case f.Size > maxFileSize:
			return nil, fmt.Errorf("%s: %s, and Cloudflare serves files up to 25 MiB: keep it out of static/ (serve it from R2 or another store)", src, human.Bytes(f.Size))
		}
		b.assets = append(b.assets, asset{Path: f.Path, Hash: f.AssetHash, Size: f.Size, ContentType: mimeType(f.Path, f.ContentType), src: src})
		seen[f.Path] = true
	}
	for _, a := range extra {
		b.assets = append(b.assets, a)
		seen[a.Path] = true
	}
	b.records = len(extra)
	b.current = len(b.assets)
	for _, a := range kept {
		if !seen[a.Path] {
			seen[a.Path] = true
			b.assets = append(b.assets, a)
		}
	}
	if b.current > maxFiles {
		return nil, fmt.Errorf("the build has %d files and a Worker version holds at most %d (free plan; paid plans take 100,000: set [cloudflare] max_files)", b.current, maxFiles)
	}
	if len(b.assets) > maxFiles {
		// Keep the newest kept files that fit: newer builds come first in kept.
		b.assets = b.assets[:maxFiles]
	}
	slices.SortFunc(b.assets, func(x, y asset) int { return strings.Compare(x.Path, y.Path) })
	return b, nil
}

// mimeType is the Content-Type a file is uploaded (and so served) with:
// the manifest's, else one from its extension; text types say UTF-8.
func mimeType(p, ct string) string {
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(p))
	}
	if ct == "" {
		return "application/octet-stream"
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += "; charset=utf-8"
	}
	return ct
}

// unsupplied lists the hashes Cloudflare asked for that no file of the
// build has bytes for: kept files of earlier builds it lacks.
func (b *bundle) unsupplied(buckets [][]string, files map[string]*asset) map[string]bool {
	var out map[string]bool
	for _, bk := range buckets {
		for _, h := range bk {
			if files[h] == nil {
				if out == nil {
					out = map[string]bool{}
				}
				out[h] = true
			}
		}
	}
	return out
}

// drop leaves out the kept files with the given hashes, and says how
// many it left out.
func (b *bundle) drop(gone map[string]bool) int {
	n := len(b.assets)
	b.assets = slices.DeleteFunc(b.assets, func(a asset) bool { return gone[a.Hash] && a.src == "" && a.data == nil })
	return n - len(b.assets)
}
