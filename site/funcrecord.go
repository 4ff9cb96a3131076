package site

import (
	"fmt"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/manifest"
)

// functionRecord is what the manifest records of a function.
func functionRecord(fn *Function) manifest.Function {
	p := fn.Policy
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	rec := manifest.Function{Pattern: fn.Pattern, Method: fn.Method, Path: fn.Path,
		TimeoutMS: fn.Timeout.Milliseconds(), MaxBody: fn.MaxBody, Concurrency: fn.Concurrency,
		Policy: manifest.Policy{EdgeTTL: secs(p.EdgeTTL), BrowserTTL: secs(p.BrowserTTL),
			StaleWhileRevalidate: secs(p.StaleWhileRevalidate), StaleIfError: secs(p.StaleIfError), Vary: p.Vary}}
	rec.Policy.CacheControl, rec.Policy.CDNCacheControl = policyHeaders(p)
	return rec
}

// cached reports whether p lets any cache keep a function's answers.
// Like the manifest, it counts whole seconds.
func (p CachePolicy) cached() bool { return p.EdgeTTL >= time.Second || p.BrowserTTL >= time.Second }

// policyHeaders renders a function's policy as the headers its responses
// carry: browsers get BrowserTTL, the edge EdgeTTL plus the RFC 5861
// extensions. A function with neither TTL is not cached at all.
//
// Neither field says public unless the policy does (Public): public is
// what lets a shared cache keep the answer to a request with
// Authorization (RFC 9111 section 3.5), and so must-revalidate and
// s-maxage, which grant the same, are not used either: a BrowserTTL of 0
// is no-cache. A targeted max-age grants nothing of the kind.
func policyHeaders(p CachePolicy) (browser, cdn string) {
	if !p.cached() {
		return "no-store", ""
	}
	var lead []string
	if p.Public {
		lead = append(lead, "public")
	}
	if p.CacheWithoutCookies {
		lead = append(lead, `private="Set-Cookie"`)
	}
	browser = strings.Join(append(lead, browserLifetime(p)), ", ")
	cdn = strings.Join(append(lead, fmt.Sprintf("max-age=%d", int64(p.EdgeTTL/time.Second))), ", ")
	if p.StaleWhileRevalidate > 0 {
		cdn += fmt.Sprintf(", stale-while-revalidate=%d", int64(p.StaleWhileRevalidate/time.Second))
	}
	if p.StaleIfError > 0 {
		cdn += fmt.Sprintf(", stale-if-error=%d", int64(p.StaleIfError/time.Second))
	}
	return browser, cdn
}

// browserLifetime is how long a browser may use a response unasked.
func browserLifetime(p CachePolicy) string {
	if p.BrowserTTL < time.Second {
		return "no-cache"
	}
	return fmt.Sprintf("max-age=%d", int64(p.BrowserTTL/time.Second))
}
