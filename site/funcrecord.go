package site

import (
	"fmt"
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
	rec.Policy.CacheControl, rec.Policy.CDNCacheControl = policyHeaders(rec.Policy)
	return rec
}

// policyHeaders renders a function's policy as the headers its responses
// carry: browsers get BrowserTTL, the edge EdgeTTL plus the RFC 5861
// extensions. A function with neither TTL is not cached at all.
func policyHeaders(p manifest.Policy) (browser, cdn string) {
	if p.EdgeTTL == 0 && p.BrowserTTL == 0 {
		return "no-store", ""
	}
	browser = fmt.Sprintf("public, max-age=%d", p.BrowserTTL)
	if p.BrowserTTL == 0 {
		browser = "public, max-age=0, must-revalidate"
	}
	cdn = fmt.Sprintf("public, max-age=%d", p.EdgeTTL)
	if p.StaleWhileRevalidate > 0 {
		cdn += fmt.Sprintf(", stale-while-revalidate=%d", p.StaleWhileRevalidate)
	}
	if p.StaleIfError > 0 {
		cdn += fmt.Sprintf(", stale-if-error=%d", p.StaleIfError)
	}
	return browser, cdn
}
