package site

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// Tag kinds. A page's tags say what it read; the same strings key
// incremental rebuilds and edge purges.
const (
	// SiteTag is carried by every page and function response: it stands for
	// what every output depends on (config, templates, code).
	SiteTag = "site"
	// maxTagLen is the longest tag kept verbatim; longer ones are hashed so
	// they fit every CDN's limit (Cloudflare allows 1,024; Verge keeps 128).
	maxTagLen = 128
)

// makeTag builds the tag "kind:name": lower-case printable ASCII without
// spaces or commas. A name outside that alphabet, or too long, is replaced
// by a hash of itself so the tag stays valid and distinct.
func makeTag(kind, name string) string {
	t := kind + ":" + strings.ToLower(name)
	if len(t) <= maxTagLen && validTag(t) {
		return t
	}
	sum := sha256.Sum256([]byte(name))
	return kind + ":#" + hex.EncodeToString(sum[:12])
}

func validTag(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c > '~' || c == ',' {
			return false
		}
	}
	return true
}

// headerTags returns the tags a page's Cache-Tag header can carry: nil when
// all of them fit, else the list with every entry tag replaced by its
// collection's (broader, so purging the collection still reaches the page)
// and, if even that is too long, cut to fit after the site tag, which
// covers everything.
func headerTags(tags []string, collectionOf map[string]string) []string {
	n := 0
	for _, t := range tags {
		n += len(t) + 1
	}
	if n <= manifest.MaxCacheTagHeader {
		return nil
	}
	seen := map[string]bool{SiteTag: true}
	out := []string{SiteTag}
	size := len(SiteTag)
	for _, t := range tags {
		if c, ok := collectionOf[t]; ok {
			t = c
		}
		if seen[t] || size+1+len(t) > manifest.MaxCacheTagHeader {
			continue
		}
		seen[t] = true
		out = append(out, t)
		size += 1 + len(t)
	}
	return out
}

// FileTags lists the cache tags a site file may stand for, given its path
// relative to the site root: content/DIR/ID.md is entry ID of the
// collection in DIR (which directory is the collection's is for the
// site's code to say, so every split is listed), data/NAME.EXT is data
// file NAME. Pages and function responses that read the file carry one
// of these (for an entry, its "e:" tag; lists carry the same name under
// "m:"); nil for other paths.
func FileTags(rel string) []string {
	rel = filepath.ToSlash(filepath.Clean(rel))
	switch {
	case strings.HasPrefix(rel, "content/") && strings.HasSuffix(rel, ".md"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(rel, "content/"), ".md"), "/")
		var out []string
		for i := len(parts) - 1; i >= 0; i-- {
			out = append(out, makeTag("e", strings.Join(parts[:i], "/")+"/"+strings.Join(parts[i:], "/")))
		}
		return out
	case strings.HasPrefix(rel, "data/"):
		name := strings.TrimPrefix(rel, "data/")
		return []string{makeTag("d", strings.TrimSuffix(name, filepath.Ext(name)))}
	}
	return nil
}
