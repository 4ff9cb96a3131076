package manifest

import (
	"bufio"
	"io"
	"strings"
)

// WriteHeaders writes the _headers file (Cloudflare Pages / Workers
// Static Assets and Netlify syntax) that serves every file with the cache
// policy the manifest gives it: one rule for all fingerprinted assets, and
// one per page for its CDN lifetime and Cache-Tag. It goes to w a file at
// a time: at 100,000 pages it is tens of megabytes.
func (m *Manifest) WriteHeaders(w io.Writer, assetPrefix string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# Written by verge build: cache policy per file. Do not edit.\n")
	if assetPrefix != "" {
		bw.WriteString(strings.TrimSuffix(assetPrefix, "/") + "/*\n")
		bw.WriteString("  Cache-Control: public, max-age=31536000, immutable\n")
		bw.WriteString("  X-Content-Type-Options: nosniff\n")
	}
	for i := range m.Files {
		f := &m.Files[i]
		if f.Kind == KindAsset && assetPrefix != "" && strings.HasPrefix(f.Path, assetPrefix) {
			continue
		}
		bw.WriteString(f.URL())
		bw.WriteString("\n  Cache-Control: ")
		bw.WriteString(f.CacheControl)
		bw.WriteString("\n")
		if f.CDNCacheControl != "" {
			bw.WriteString("  CDN-Cache-Control: ")
			bw.WriteString(f.CDNCacheControl)
			bw.WriteString("\n")
		}
		if tags := f.HeaderTags(); len(tags) > 0 {
			bw.WriteString("  Cache-Tag: ")
			for k, t := range tags {
				if k > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString(t)
			}
			bw.WriteString("\n")
		}
	}
	return bw.Flush() // bufio keeps the first error
}

// URL is the URL path a file is requested at: a page's route (the
// directory URL), else its path.
func (f *File) URL() string {
	if f.Route != "" {
		return f.Route
	}
	return f.Path
}

// MaxCacheTagHeader is the most Cache-Tag header a response may carry
// (Cloudflare's limit, 16 KB).
const MaxCacheTagHeader = 16 * 1024

// HeaderTags is what the file's Cache-Tag header carries: CacheTags (a
// page's PageTags), or, in a manifest from before page tags, its Tags.
func (f *File) HeaderTags() []string {
	if f.CacheTags != nil {
		return f.CacheTags
	}
	return f.Tags
}
