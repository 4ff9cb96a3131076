package engine

// This file holds how tags are spelled, and how many a page's Cache-Tag
// header can carry.

import (
	"crypto/sha256"
	"encoding/hex"
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

// MakeTag builds the tag "kind:name": lower-case printable ASCII without
// spaces or commas. A name outside that alphabet, or too long, is replaced
// by a hash of itself so the tag stays valid and distinct.
func MakeTag(kind, name string) string {
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
