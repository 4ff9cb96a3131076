package cache

// This file holds header-field helpers: copying without hop-by-hop
// fields, cache tags, ETag comparison.

import (
	"net/http"
	"strings"

	"github.com/vergehq/verge/internal/httpcache"
)

// copyHeaders adds src's fields to dst, hop-by-hop ones left out.
func copyHeaders(dst, src http.Header) {
	conn := httpcache.SplitList(strings.Join(src.Values("Connection"), ","))
	for k, vs := range src {
		if isHopByHop(k, conn) {
			continue
		}
		dst[k] = append(dst[k], vs...)
	}
}

// tagsOf reads a response's tags: Cache-Tag (comma-separated) and
// Surrogate-Key (space-separated), lower-cased.
func tagsOf(h http.Header) []string {
	var tags []string
	for _, v := range h.Values("Cache-Tag") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				tags = append(tags, t)
			}
		}
	}
	for _, v := range h.Values("Surrogate-Key") {
		for _, t := range strings.Fields(v) {
			tags = append(tags, strings.ToLower(t))
		}
	}
	return tags
}

// stripTags removes the tag fields, which are for this cache only.
func stripTags(h http.Header) {
	h.Del("Cache-Tag")
	h.Del("Surrogate-Key")
}

// MatchesETag reports whether an If-None-Match field value matches etag,
// by weak comparison (RFC 9110 13.1.2): "*", or one of its entity tags.
func MatchesETag(header, etag string) bool {
	if etag == "" {
		return false
	}
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, c := range httpcache.SplitList(header) {
		if c == "*" || weak(c) == weak(etag) {
			return true
		}
	}
	return false
}
