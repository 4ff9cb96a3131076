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
	// ChangedTags are the tags whose versions changed: content entries,
	// collections, data files, assets; function responses carry them.
	ChangedTags []string `json:"changed_tags"`
	// Everything says one purge of everything is cheaper than the tags.
	Everything bool `json:"everything"`
	// Tags are the tags to purge; URLs every live URL they cover.
	Tags []string `json:"tags"`
	URLs []string `json:"urls"`
	// Files are changed URLs no tag covers, to purge by URL: those live
	// served untagged, and those that appear (a cached 404 may hide them).
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

// everythingShare is the share of the live URLs past which purging
// everything is as good as purging tags, and one request instead of many.
const everythingShare = 0.9

// New plans the purge for next replacing live (live's Manifest nil: a
// first deploy, with nothing cached to purge).
//
// Every changed tag is purged: a function response carries the tags of
// what it read, and no manifest lists those responses. Every changed URL
// live served is then covered, by the tags its cached copy carries:
// greedily, each time the tag that purges the fewest unchanged URLs per
// changed URL it covers, so a page's own entry tag wins over its
// collection's.
func New(live, next Build, lim Limits) *Plan {
	p := &Plan{}
	if live.Manifest == nil {
		return p
	}
	liveURLs := servedURLs(live.Manifest)
	nextURLs := servedURLs(next.Manifest)
	changed := map[string]bool{}
	for u, f := range liveURLs {
		if g, ok := nextURLs[u]; !ok || g.SHA256 != f.SHA256 {
			changed[u] = true
		}
	}
	for u := range nextURLs {
		if _, ok := liveURLs[u]; !ok {
			changed[u] = true
		}
	}
	p.ChangedURLs = slices.Sorted(maps.Keys(changed))
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

	// Which live URLs each tag covers: what the CDN saw in Cache-Tag.
	byTag := map[string][]string{}
	for u, f := range liveURLs {
		for _, t := range cacheTags(f) {
			byTag[t] = append(byTag[t], u)
		}
	}
	chosen := map[string]bool{}
	covered := map[string]bool{}
	take := func(t string) {
		chosen[t] = true
		for _, u := range byTag[t] {
			covered[u] = true
		}
	}
	for _, t := range p.ChangedTags {
		take(t)
	}
	for {
		// The changed URLs live served that no chosen tag covers yet.
		left := map[string]bool{}
		for u := range changed {
			if _, served := liveURLs[u]; served && !covered[u] {
				left[u] = true
			}
		}
		if len(left) == 0 {
			break
		}
		best, bestCost, bestGain := "", 0.0, 0
		for t, urls := range byTag {
			if chosen[t] {
				continue
			}
			gain, over := 0, 0
			for _, u := range urls {
				switch {
				case left[u]:
					gain++
				case !changed[u] && !covered[u]:
					over++
				}
			}
			if gain == 0 {
				continue
			}
			cost := float64(over) / float64(gain)
			if best == "" || cost < bestCost || cost == bestCost && (gain > bestGain || gain == bestGain && t < best) {
				best, bestCost, bestGain = t, cost, gain
			}
		}
		if best == "" {
			// Changed URLs with no tag at all: purge them by URL.
			p.Files = slices.Sorted(maps.Keys(left))
			break
		}
		take(best)
	}
	// URLs that appear with this build: a cache may hold the 404 it
	// answered before. No tag reaches them; purge them by URL.
	for u := range changed {
		if _, served := liveURLs[u]; !served {
			p.Files = append(p.Files, u)
		}
	}
	slices.Sort(p.Files)
	p.Tags = slices.Sorted(maps.Keys(chosen))
	p.URLs = slices.Sorted(maps.Keys(covered))
	if len(liveURLs) > 0 && float64(len(p.URLs)) >= everythingShare*float64(len(liveURLs)) {
		p.Everything = true
	}
	p.Batches = batches(p.Tags, lim.TagsPerRequest)
	p.FileBatches = batches(p.Files, lim.URLsPerRequest)
	return p
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

// cacheTags are the tags a file's responses carry in Cache-Tag.
func cacheTags(f *manifest.File) []string {
	if len(f.CacheTags) > 0 {
		return f.CacheTags
	}
	return f.Tags
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
