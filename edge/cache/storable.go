package cache

import (
	"net/http"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/httpcache"
)

// Storable reports whether a shared cache may store resp, the answer to
// a request with method and request headers req (RFC 9111 section 3, with
// targeted fields), and if not, why. A response that may be stored but
// has neither a lifetime nor a validator is not worth keeping: it could
// never be served without asking the origin in full again.
func Storable(method string, req http.Header, status int, resp http.Header, responseTime time.Time) (bool, string) {
	if method != http.MethodGet {
		return false, "method"
	}
	if status < 200 || status == http.StatusPartialContent {
		return false, "status"
	}
	if httpcache.ParseCacheControl(req).NoStore {
		return false, "request no-store"
	}
	cc := httpcache.ParseCacheControl(resp)
	targeted, _, hasTargeted := Targeted(resp)
	switch {
	case hasTargeted && (targeted.NoStore || targeted.Private):
		return false, "targeted no-store or private"
	case !hasTargeted && cc.NoStore:
		return false, "no-store"
	case !hasTargeted && cc.Private:
		return false, "private"
	}
	for _, v := range resp.Values("Vary") {
		for _, f := range httpcache.SplitList(v) {
			if f == "*" {
				return false, "vary *"
			}
		}
	}
	if len(resp.Values("Set-Cookie")) > 0 && !cookieOptIn(resp) {
		return false, whySetCookie
	}
	if req.Get("Authorization") != "" && !(cc.Public || cc.SMaxAge.Present || cc.MustRevalidate) {
		return false, "authorization"
	}
	life := freshnessLifetime(status, resp, responseTime)
	explicitOK := life.Explicit || cc.Public || (hasTargeted && targeted.Public) || heuristicStatus[status]
	if !explicitOK {
		return false, "no freshness information"
	}
	if life.Fresh <= 0 && resp.Get("ETag") == "" && resp.Get("Last-Modified") == "" {
		return false, "neither a lifetime nor a validator"
	}
	return true, ""
}

// whySetCookie is Storable's reason for a response with Set-Cookie.
const whySetCookie = "set-cookie"

// cookieOptIn reports whether a response with Set-Cookie says in so many
// words that the rest of it may be shared: private="Set-Cookie" or
// no-cache="Set-Cookie", in Cache-Control or a targeted field. It is
// then stored without the cookie (storedHeader). Otherwise, as Varnish
// and Cloudflare do, it is not stored at all: a cookie is one client's,
// and an origin that sets one has most likely made the page for it.
func cookieOptIn(h http.Header) bool {
	for _, f := range qualifiedFields(h) {
		if strings.EqualFold(f, "Set-Cookie") {
			return true
		}
	}
	return false
}

// qualifiedFields are the field names a response's qualified private
// and no-cache directives list, in Cache-Control and in the targeted
// field in force: a shared cache stores and shares the response without
// them. Both fields count, as leaving a field out is the cautious side.
func qualifiedFields(h http.Header) []string {
	cc := httpcache.ParseCacheControl(h)
	names := append(append([]string(nil), cc.PrivateFields...), cc.NoCacheFields...)
	if t, _, ok := Targeted(h); ok {
		names = append(append(names, t.PrivateFields...), t.NoCacheFields...)
	}
	return names
}

// isHopByHop reports whether a header field belongs to one connection
// and is never stored or forwarded (RFC 9110 section 7.6.1), given the
// names the Connection field lists.
func isHopByHop(name string, connection []string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Authentication-Info":
		return true
	}
	for _, c := range connection {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}
