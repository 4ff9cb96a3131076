package manifest

import (
	"strings"
)

// Headers renders the _headers file (Cloudflare Pages / Workers Static
// Assets and Netlify syntax) that serves every file with the cache policy
// the manifest gives it: one rule for all fingerprinted assets, and one
// per page for its CDN lifetime and Cache-Tag.
func (m *Manifest) Headers(assetPrefix string) []byte {
	var b strings.Builder
	b.WriteString("# Written by verge build: cache policy per file. Do not edit.\n")
	if assetPrefix != "" {
		b.WriteString(strings.TrimSuffix(assetPrefix, "/") + "/*\n")
		b.WriteString("  Cache-Control: public, max-age=31536000, immutable\n")
		b.WriteString("  X-Content-Type-Options: nosniff\n")
	}
	for _, f := range m.Files {
		if f.Kind == KindAsset && assetPrefix != "" && strings.HasPrefix(f.Path, assetPrefix) {
			continue
		}
		b.WriteString(f.URL() + "\n")
		b.WriteString("  Cache-Control: " + f.CacheControl + "\n")
		if f.CDNCacheControl != "" {
			b.WriteString("  CDN-Cache-Control: " + f.CDNCacheControl + "\n")
		}
		if tags := f.HeaderTags(); len(tags) > 0 {
			b.WriteString("  Cache-Tag: " + strings.Join(tags, ",") + "\n")
		}
	}
	return []byte(b.String())
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
