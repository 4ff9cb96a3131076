package site

import (
	"net/http"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// cacheFields sets the cache fields of a function's response: the
// policy's where the function set no Cache-Control of its own, the
// policy's Vary, and the Cache-Tag of what it read, in the function
// namespace. Two cases override
// the policy, each logged once per function:
//
//   - A Set-Cookie on a response the policy caches, without
//     CacheWithoutCookies: the response goes out private, in
//     Cache-Control and CDN-Cache-Control, so that no shared cache
//     (the edge, Cloudflare, a proxy between) replays the cookie to
//     another client. The edge refuses a Set-Cookie response anyway, but
//     not every cache on the way does, and private is the one directive
//     all of them honour; the browser, whose cookie it is, still keeps
//     the response for BrowserTTL.
//   - Vary: Authorization on a cached policy without Public (below).
//   - A streamed response (see streamAfter): no-store, since its
//     Cache-Tag may lack what the function read after its head was sent.
func (h *funcHandler) cacheFields(hdr http.Header, r *http.Request, tags []string, streamed bool) {
	p := &h.fn.Policy
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	own := hdr.Get("Cache-Control") != ""
	switch {
	case own:
	case safe:
		hdr.Set("Cache-Control", h.browser)
		if h.cdn != "" && hdr.Get("CDN-Cache-Control") == "" {
			hdr.Set("CDN-Cache-Control", h.cdn)
		}
	default:
		hdr.Set("Cache-Control", "no-store")
	}
	if safe && p.cached() && len(hdr.Values("Set-Cookie")) > 0 && !p.CacheWithoutCookies {
		if !h.warnedCookie.Swap(true) {
			h.rt.log.Warn("function set a cookie on a response its policy caches: sent private, so no shared cache keeps it. "+
				"If the rest of the response is the same for everyone, declare site.CacheWithoutCookies() and the edge keeps it without the cookie; "+
				"if not, drop site.EdgeTTL", "func", h.fn.Pattern, "decl", h.fn.Decl)
		}
		if !own {
			hdr.Set("Cache-Control", "private, "+browserLifetime(*p))
			hdr.Set("CDN-Cache-Control", "private")
		}
	}
	if safe && streamed && (p.cached() || own) {
		if !h.warnedStream.Swap(true) {
			h.rt.log.Warn("function response streamed, so sent no-store: it passed the bytes the runtime holds before the function returned, "+
				"and what it read after that would be missing from its Cache-Tag", "func", h.fn.Pattern, "decl", h.fn.Decl, "held", streamAfter)
		}
		hdr.Set("Cache-Control", "no-store")
		for _, f := range []string{"CDN-Cache-Control", "Verge-CDN-Cache-Control"} {
			hdr.Del(f)
		}
	}
	for _, v := range p.Vary {
		hdr.Add("Vary", v)
	}
	if safe && p.cached() && !p.Public && !own {
		// Without public no shared cache keeps the answer to a request
		// with Authorization (RFC 9111 section 3.5), but one may still
		// hand the answer it kept for an anonymous request to one with
		// Authorization, whose answer the function may make differently.
		// Varying on it keeps the two apart; anonymous requests share
		// their answer as before.
		hdr.Add("Vary", "Authorization")
	}
	if len(tags) > 0 {
		// In the function namespace (manifest.FuncTag): no page carries
		// these, so purging what a function read never clears a page.
		ft := make([]string, len(tags))
		for i, t := range tags {
			ft[i] = manifest.FuncTag(t)
		}
		hdr.Set("Cache-Tag", strings.Join(ft, ","))
	}
}
