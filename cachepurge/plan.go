// Package cachepurge decides what to purge from edge caches when a new
// build goes live, and sends it: the purge plan from the live
// build and the new one, tag batching within a target's limits, a durable
// outbox, and the purgers (the local edge, Cloudflare).
package cachepurge

import (
	"maps"
	"slices"

	"github.com/vergehq/verge/internal/manifest"
)

// Build is what planning needs of one build: what it serves (its
// manifest) and the version of every tag it knew (the build's
// _verge/versions.json), nil when not known.
type Build struct {
	Manifest *manifest.Manifest
	Versions map[string]string
}

// Limits are a target's purge limits.
type Limits struct {
	TagsPerRequest int  // Cloudflare: 100
	URLsPerRequest int  // Cloudflare: 30; zero: no limit
	Rate           Rate // requests over time; zero: unlimited
}

// Plan is what to purge for a new build to go live.
type Plan struct {
	// ChangedURLs are the URLs whose bytes changed, appeared or went.
	ChangedURLs []string `json:"changed_urls"`
	// Retagged are live URLs whose bytes stay but whose Cache-Tag
	// changes (the first deploy after page tags came in): purged once, so
	// that later purges by the new tags reach their cached copies.
	Retagged []string `json:"retagged,omitempty"`
	// ChangedTags are the content tags whose versions changed: entries,
	// collections, data files, assets.
	ChangedTags []string `json:"changed_tags"`
	// FuncTags are the function-namespace tags purged for them (function
	// responses carry what they read as manifest.FuncTag): all of them,
	// or only the site's when that changed, since every response has it.
	FuncTags []string `json:"func_tags,omitempty"`
	// Everything says one purge of everything goes instead (see New).
	Everything bool `json:"everything"`
	// Tags are the tags to purge: the page tags covering exactly the
	// changed URLs live served, then FuncTags. URLs is every live URL
	// the tags reach.
	Tags []string `json:"tags"`
	URLs []string `json:"urls"`
	// Files are changed URLs to purge by URL: those that appear (a cache
	// may hold the 404 it answered before), those no pure tag reaches,
	// and page tags' single URLs where that saves a request.
	Files []string `json:"files,omitempty"`
	// Batches split Tags into requests within the target's limits, and
	// FileBatches Files.
	Batches     [][]string `json:"batches"`
	FileBatches [][]string `json:"file_batches,omitempty"`
}

// Requests is how many purge requests the plan takes.
func (p *Plan) Requests() int {
	if p.Everything {
		return 1
	}
	return len(p.Batches) + len(p.FileBatches)
}

// nearlyEverything is the share of the live URLs past which one purge of
// everything goes instead of a plan of several requests: it purges at
// most 1% of the pages that did not change.
const nearlyEverything = 0.99

// New plans the purge for next replacing live (live's Manifest nil: a
// first deploy, with nothing cached to purge).
//
// Pages: the URLs whose bytes changed (or whose Cache-Tag did) are known
// from the two manifests, and are purged by the fewest tags of the live
// build's Cache-Tags that reach them and no other URL (see exactCover),
// or by URL. Function responses: no manifest lists them, so every changed
// tag is purged in the function namespace, which no page carries.
//
// Everything goes instead when that is exact (every live URL changed and
// the site's tag, which every function response carries, changed too),
// or nearly so: at least 99% of the live URLs changed and the exact plan
// takes more than one request.
func New(live, next Build, lim Limits) *Plan {
	p := &Plan{}
	if live.Manifest == nil {
		return p
	}
	liveURLs := servedURLs(live.Manifest)
	nextURLs := servedURLs(next.Manifest)
	changed := map[string]bool{}
	want := map[string]bool{} // live URLs to purge
	for u, f := range liveURLs {
		g, ok := nextURLs[u]
		switch {
		case !ok || g.SHA256 != f.SHA256:
			changed[u] = true
			want[u] = true
		case !slices.Equal(f.HeaderTags(), g.HeaderTags()):
			p.Retagged = append(p.Retagged, u)
			want[u] = true
		}
	}
	var appeared []string
	for u := range nextURLs {
		if _, ok := liveURLs[u]; !ok {
			changed[u] = true
			appeared = append(appeared, u)
		}
	}
	p.ChangedURLs = slices.Sorted(maps.Keys(changed))
	slices.Sort(p.Retagged)
	for t, v := range live.Versions {
		if w, ok := next.Versions[t]; !ok || w != v {
			p.ChangedTags = append(p.ChangedTags, t)
		}
	}
	for t := range next.Versions {
		if _, ok := live.Versions[t]; !ok {
			p.ChangedTags = append(p.ChangedTags, t)
		}
	}
	slices.Sort(p.ChangedTags)
	p.FuncTags = funcTags(p.ChangedTags)

	liveTags := make(map[string][]string, len(liveURLs))
	for u, f := range liveURLs {
		liveTags[u] = f.HeaderTags()
	}
	c := exactCover(liveTags, want)
	files := append(c.urls, appeared...)
	pageTags := balance(c, &files, len(p.FuncTags), lim)
	slices.Sort(files)
	p.Files = files
	p.Tags = append(pageTags, p.FuncTags...)
	chosen := map[string]bool{}
	for _, t := range pageTags {
		chosen[t] = true
	}
	for u, tags := range liveTags {
		if slices.ContainsFunc(tags, func(t string) bool { return chosen[t] }) {
			p.URLs = append(p.URLs, u)
		}
	}
	slices.Sort(p.URLs)
	p.Batches = batches(p.Tags, lim.TagsPerRequest)
	p.FileBatches = batches(p.Files, lim.URLsPerRequest)
	if n := len(liveURLs); n > 0 && len(want) == n && (slices.Contains(p.FuncTags, manifest.FuncTag(manifest.SiteTag)) || len(live.Manifest.Functions)+len(next.Manifest.Functions) == 0) {
		p.Everything = true
	} else if n > 0 && float64(len(want)) >= nearlyEverything*float64(n) && p.Requests() > 1 {
		p.Everything = true
	}
	return p
}

// funcTags are the function-namespace tags that purge the responses
// that read one of the changed tags: the site's alone when it changed.
func funcTags(changed []string) []string {
	if slices.Contains(changed, manifest.SiteTag) {
		return []string{manifest.FuncTag(manifest.SiteTag)}
	}
	out := make([]string, 0, len(changed))
	for _, t := range changed {
		out = append(out, manifest.FuncTag(t))
	}
	return out
}

// balance returns the cover's tags, after moving to files the URLs of
// tags that reach one URL each where that takes fewer requests within
// lim (the last URL request has room, the tags spill into one more).
// extra tags go out with them.
func balance(c cover, files *[]string, extra int, lim Limits) []string {
	tags := c.tags
	requests := func(nt, nf int) int { return requestsFor(nt, lim.TagsPerRequest) + requestsFor(nf, lim.URLsPerRequest) }
	var singles []string
	for _, t := range tags {
		if _, ok := c.single[t]; ok {
			singles = append(singles, t)
		}
	}
	nt, nf := len(tags)+extra, len(*files)
	bestK, best := 0, requests(nt, nf)
	for k := 1; k <= len(singles); k++ {
		if r := requests(nt-k, nf+k); r < best {
			bestK, best = k, r
		}
	}
	if bestK == 0 {
		return tags
	}
	move := map[string]bool{}
	for _, t := range singles[len(singles)-bestK:] {
		move[t] = true
		*files = append(*files, c.single[t])
	}
	return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return move[t] })
}

// requestsFor is how many requests n items take, per to a request
// (per <= 0: no limit).
func requestsFor(n, per int) int {
	if n == 0 {
		return 0
	}
	if per <= 0 {
		return 1
	}
	return ceilDiv(n, per)
}

// servedURLs maps each URL a build serves to its file: a page at its
// route, any other file at its path.
func servedURLs(m *manifest.Manifest) map[string]*manifest.File {
	out := make(map[string]*manifest.File, len(m.Files))
	for i := range m.Files {
		out[m.Files[i].URL()] = &m.Files[i]
	}
	return out
}

// batches splits tags into groups of at most n (n <= 0: one group).
func batches(tags []string, n int) [][]string {
	if len(tags) == 0 {
		return nil
	}
	if n <= 0 {
		return [][]string{tags}
	}
	var out [][]string
	for i := 0; i < len(tags); i += n {
		out = append(out, tags[i:min(i+n, len(tags))])
	}
	return out
}
