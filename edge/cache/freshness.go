package cache

import (
	"net/http"
	"time"

	"github.com/vergehq/verge/internal/httpcache"
)

// heuristicStatus are the status codes a cache may give a heuristic
// lifetime (RFC 9110 section 15.1).
var heuristicStatus = map[int]bool{200: true, 203: true, 204: true, 206: true, 300: true, 301: true,
	308: true, 404: true, 405: true, 410: true, 414: true, 501: true}

// maxHeuristic caps a heuristic lifetime: 10% of a page's age since its
// last change could otherwise be months.
const maxHeuristic = 24 * time.Hour

// Lifetime is how long a stored response stays fresh for a shared cache,
// and where that came from.
type Lifetime struct {
	Fresh    time.Duration
	Explicit bool   // from a directive or Expires, not a heuristic
	Source   string // "Verge-CDN-Cache-Control", "CDN-Cache-Control", "Cache-Control", "Expires", "heuristic" or ""
}

// freshnessLifetime computes a response's freshness lifetime as a shared
// cache (RFC 9111 section 4.2.1; RFC 9213 for targeted fields, which,
// when valid, replace Cache-Control and Expires). responseTime stands in
// for a missing or invalid Date.
func freshnessLifetime(status int, h http.Header, responseTime time.Time) Lifetime {
	if d, field, ok := Targeted(h); ok {
		if l, ok := fromDirectives(d, field); ok {
			return l
		}
		return heuristic(status, h, responseTime) // targeted, but no lifetime in it
	}
	if l, ok := fromDirectives(httpcache.ParseCacheControl(h), "Cache-Control"); ok {
		return l
	}
	if exp := h.Values("Expires"); len(exp) > 0 {
		l := Lifetime{Explicit: true, Source: "Expires"}
		t, ok := parseHTTPDate(exp[0])
		if !ok || len(exp) > 1 {
			return l // invalid ("0" included) or ambiguous: already expired
		}
		if d := t.Sub(dateOf(h, responseTime)); d > 0 {
			l.Fresh = d
		}
		return l
	}
	return heuristic(status, h, responseTime)
}

// fromDirectives takes the lifetime from s-maxage, then max-age. A
// directive given with an invalid value makes the response stale rather
// than falling through to a later rule.
func fromDirectives(d Directives, source string) (Lifetime, bool) {
	for _, s := range []Seconds{d.SMaxAge, d.MaxAge} {
		if !s.Present {
			continue
		}
		l := Lifetime{Explicit: true, Source: source}
		if !s.Invalid {
			l.Fresh = time.Duration(s.Value) * time.Second
		}
		return l, true
	}
	return Lifetime{}, false
}

// heuristic gives a lifetime of 10% of the time since Last-Modified to a
// response of a heuristically cacheable status (RFC 9111 section 4.2.2).
func heuristic(status int, h http.Header, responseTime time.Time) Lifetime {
	if !heuristicStatus[status] {
		return Lifetime{}
	}
	lm, ok := parseHTTPDate(h.Get("Last-Modified"))
	if !ok {
		return Lifetime{}
	}
	age := dateOf(h, responseTime).Sub(lm)
	if age <= 0 {
		return Lifetime{}
	}
	return Lifetime{Fresh: min(age/10, maxHeuristic), Source: "heuristic"}
}

// dateOf is the response's Date, or responseTime when it has no valid one.
func dateOf(h http.Header, responseTime time.Time) time.Time {
	if t, ok := parseHTTPDate(h.Get("Date")); ok {
		return t
	}
	return responseTime
}

// ageValue is the Age field: the first value, when it is a non-negative
// integer; anything else is ignored (RFC 9111 section 5.1).
func ageValue(h http.Header) time.Duration {
	vals := h.Values("Age")
	if len(vals) == 0 {
		return 0
	}
	s := httpcache.ParseSeconds(splitFirst(vals[0]), true)
	if s.Invalid {
		return 0
	}
	return time.Duration(s.Value) * time.Second
}

func splitFirst(v string) string {
	if items := httpcache.SplitList(v); len(items) > 0 {
		return items[0]
	}
	return ""
}

// currentAge is a stored response's age now (RFC 9111 section 4.2.3):
// what it had on arrival, from Age and Date corrected for the request's
// round trip, plus the time since.
func currentAge(h http.Header, requestTime, responseTime, now time.Time) time.Duration {
	apparent := max(0, responseTime.Sub(dateOf(h, responseTime)))
	corrected := ageValue(h) + responseTime.Sub(requestTime)
	return max(apparent, corrected) + now.Sub(responseTime)
}
