package audit

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vergehq/verge/internal/httpcache"
	"github.com/vergehq/verge/internal/manifest"
)

// rule is one of YSlow's rules: its id, name, weight in the grade, and
// its check, which scores a page from 100 down by its penalties.
type rule struct {
	id, name string
	weight   int
	check    func(s *Site, p *page) (int, []Offender)
}

// rules are YSlow 2's 23 rules, in its order, with its weights
// (yexternal is reported, not graded).
var rules = []rule{
	{"ynumreq", "Make fewer HTTP requests", 8, numRequests},
	{"ycdn", "Use a CDN", 6, useCDN},
	{"yemptysrc", "Avoid empty src or href", 30, emptySrc},
	{"yexpires", "Add Expires or Cache-Control headers", 10, expires},
	{"ycompress", "Compress components", 8, compress},
	{"ycsstop", "Put CSS at the top", 4, cssTop},
	{"yjsbottom", "Put JavaScript at the bottom", 4, jsBottom},
	{"yexpressions", "Avoid CSS expressions", 3, expressions},
	{"yexternal", "Make JavaScript and CSS external", 0, external},
	{"ydns", "Reduce DNS lookups", 3, dnsLookups},
	{"yminify", "Minify JavaScript and CSS", 4, minified},
	{"yredirects", "Avoid URL redirects", 4, redirects},
	{"ydupes", "Remove duplicate JavaScript and CSS", 4, dupes},
	{"yetags", "Configure entity tags (ETags)", 2, etags},
	{"yxhr", "Make Ajax cacheable", 4, ajaxCacheable},
	{"yxhrmethod", "Use GET for Ajax requests", 3, ajaxGet},
	{"ymindom", "Reduce the number of DOM elements", 3, domSize},
	{"yno404", "Avoid HTTP 404 (Not Found) errors", 4, no404},
	{"ymincookie", "Reduce cookie size", 3, cookieSize},
	{"ycookiefree", "Use cookie-free domains for static components", 3, cookieFree},
	{"ynofilter", "Avoid AlphaImageLoader filter", 4, noFilter},
	{"yimgnoscale", "Do not scale images in HTML", 3, imgNoScale},
	{"yfavicon", "Make favicon small and cacheable", 2, favicon},
}

// components are the refs a browser loads with the page: all of them,
// links being left out when the page is read.
func (p *page) components() []ref { return p.refs }

func numRequests(_ *Site, p *page) (int, []Offender) {
	var js, css, img []ref
	for _, r := range p.refs {
		switch r.kind {
		case refScript:
			js = append(js, r)
		case refStylesheet:
			css = append(css, r)
		case refCSSImage:
			img = append(img, r)
		}
	}
	score := 100
	var offs []Offender
	over := func(list []ref, limit, per int, what, fix string) {
		if n := len(list) - limit; n > 0 {
			score -= per * n
			offs = append(offs, Offender{fmt.Sprintf("%d %s (more than %d)", len(list), what, limit), fix})
		}
	}
	over(js, 3, 4, "external scripts", "bundle them: one entry script per page (esbuild bundles its imports)")
	over(css, 2, 4, "stylesheets", "bundle them: one stylesheet per page (@import is inlined by the build)")
	over(img, 6, 3, "CSS background images", "combine small ones, or inline them as data: URLs")
	return score, offs
}

// cdnHosts are hosts of widely used CDNs, for third-party files.
var cdnHosts = []string{"googleapis.com", "gstatic.com", "cloudflare.com", "jsdelivr.net", "unpkg.com",
	"cloudfront.net", "akamaihd.net", "fastly.net", "fastly.com", "bootstrapcdn.com", "jquery.com"}

func useCDN(_ *Site, p *page) (int, []Offender) {
	// The site's own files are on the edge: Verge deploys every one to it.
	score := 100
	var offs []Offender
	for _, r := range p.components() {
		if r.host == "" || strings.HasPrefix(r.host, "(") || r.kind == refFrame {
			continue
		}
		if !slices.ContainsFunc(cdnHosts, func(h string) bool { return r.host == h || strings.HasSuffix(r.host, "."+h) }) {
			score -= 10
			offs = append(offs, Offender{r.url, "serve it from the site (assets/ or static/), which deploys it to the edge"})
		}
	}
	return score, offs
}

func emptySrc(_ *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, e := range p.empty {
		offs = append(offs, Offender{e, "remove the attribute or give it a URL: an empty one makes the browser request the page again"})
	}
	return 100 - 100*len(offs), offs
}

// staticKinds are the refs that load static files.
func isStatic(r ref) bool {
	return r.kind == refScript || r.kind == refStylesheet || r.kind == refImage || r.kind == refCSSImage || r.kind == refFavicon
}

// freshFor is the browser freshness a Cache-Control value gives, in
// seconds, and whether it says immutable.
func freshFor(cc string) (seconds int64, immutable bool) {
	d := httpcache.ParseCacheControl(http.Header{"Cache-Control": {cc}})
	if d.NoStore || d.NoCache || !d.MaxAge.Valid() {
		return 0, d.Immutable && !d.NoStore && !d.NoCache
	}
	return d.MaxAge.Value, d.Immutable
}

const (
	day  = 24 * 3600
	year = 365 * day
)

func expires(s *Site, p *page) (int, []Offender) {
	score := 100
	var offs []Offender
	seen := map[string]bool{}
	for _, r := range p.components() {
		if !isStatic(r) || r.path == "" || seen[r.path] {
			continue
		}
		seen[r.path] = true
		f, _ := s.lookup(r.path)
		if f == nil {
			continue // yno404's
		}
		fresh, immutable := freshFor(f.CacheControl)
		switch {
		case f.Kind == manifest.KindAsset && (fresh < year || !immutable):
			score -= 11
			offs = append(offs, Offender{r.url, fmt.Sprintf("a fingerprinted file: serve it with max-age of a year and immutable (now %q)", f.CacheControl)})
		case f.Kind != manifest.KindAsset && fresh < 30*day:
			score -= 11
			offs = append(offs, Offender{r.url, fmt.Sprintf("fresh for %s only: move it to assets/ to have it fingerprinted and cached for a year", human(fresh))})
		}
	}
	return score, offs
}

func human(seconds int64) string {
	switch {
	case seconds >= day:
		return fmt.Sprintf("%d days", seconds/day)
	case seconds >= 3600:
		return fmt.Sprintf("%d hours", seconds/3600)
	}
	return fmt.Sprintf("%d seconds", seconds)
}

func compress(s *Site, p *page) (int, []Offender) {
	score := 100
	var offs []Offender
	check := func(what string, f *manifest.File) {
		if uncompressed(f) {
			score -= 11
			offs = append(offs, Offender{what, fmt.Sprintf("%s is text the edge does not compress: serve it as a text type", f.ContentType)})
		}
	}
	check(p.route, p.file)
	for _, r := range p.components() {
		if r.path != "" {
			if f, _ := s.lookup(r.path); f != nil {
				check(r.url, f)
			}
		}
	}
	return score, offs
}

// uncompressed reports whether f is text large enough to compress that
// the edge serves as it is.
func uncompressed(f *manifest.File) bool {
	return f.Size >= 500 && isText(f.ContentType) && !httpcache.Compressible(f.ContentType)
}

func isText(ct string) bool {
	return httpcache.Compressible(ct) || strings.Contains(ct, "xml") || strings.Contains(ct, "json") || strings.Contains(ct, "javascript")
}

func dnsLookups(_ *Site, p *page) (int, []Offender) {
	hosts := []string{}
	for _, r := range p.components() {
		if r.host != "" && !strings.HasPrefix(r.host, "(") && !slices.Contains(hosts, r.host) {
			hosts = append(hosts, r.host)
		}
	}
	// The site's own host is one lookup too.
	if n := len(hosts) + 1 - 4; n > 0 {
		return 100 - 5*n, []Offender{{fmt.Sprintf("%d hosts: the site and %s", len(hosts)+1, strings.Join(hosts, ", ")),
			"serve third-party files from the site, or add <link rel=preconnect> for the hosts that remain"}}
	}
	return 100, nil
}

func redirects(s *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, r := range p.components() {
		if r.path == "" {
			continue
		}
		if f, redirected := s.lookup(r.path); f != nil && redirected {
			offs = append(offs, Offender{r.url, "point at " + f.URL() + ": the edge redirects there"})
		}
	}
	return 100 - 10*len(offs), offs
}

func etags(*Site, *page) (int, []Offender) {
	// The edge's ETags are content hashes: the same on every server.
	return 100, nil
}

func ajaxCacheable(s *Site, _ *page) (int, []Offender) {
	var offs []Offender
	for _, fn := range s.functions {
		if fn.Method != "" && fn.Method != "GET" {
			continue
		}
		if fn.Policy.EdgeTTL < 3600 && fn.Policy.BrowserTTL < 3600 {
			offs = append(offs, Offender{fn.Pattern, "declare an edge TTL of an hour or more (site.EdgeTTL), with purges refreshing it"})
		}
	}
	return 100 - 5*len(offs), offs
}

func ajaxGet(*Site, *page) (int, []Offender) {
	// What a page's scripts request is not in the build output; the
	// site's functions are GET unless declared otherwise.
	return 100, nil
}

func no404(s *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, r := range p.components() {
		if r.path == "" {
			continue
		}
		if f, _ := s.lookup(r.path); f == nil && !s.isFunction(r.path) {
			offs = append(offs, Offender{r.url, "nothing is served there: fix the reference or add the file"})
		}
	}
	return 100 - 5*len(offs), offs
}

// isFunction reports whether a GET for p reaches one of the site's API
// functions, by their net/http patterns.
func (s *Site) isFunction(p string) bool {
	if s.funcs == nil {
		return false
	}
	r, err := http.NewRequest(http.MethodGet, p, nil)
	if err != nil {
		return false
	}
	_, pattern := s.funcs.Handler(r)
	return pattern != ""
}

func cookieSize(*Site, *page) (int, []Offender) {
	// The edge sets no cookies; the site's functions may, on their paths.
	return 100, nil
}

func cookieFree(*Site, *page) (int, []Offender) {
	// Static files come from the edge, which never sends Set-Cookie.
	return 100, nil
}
