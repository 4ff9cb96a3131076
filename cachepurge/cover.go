package cachepurge

// This file holds the exact cover: given what each live URL's cached copy
// carries in Cache-Tag, the fewest tags that reach a set of URLs and no
// other. A tag is usable only when every live URL carrying it is in the
// set (it is pure), so whatever tags are chosen, the purge reaches no
// unchanged URL: precision is 100% by construction, and every URL of the
// set is reached by a tag or listed to purge by URL: recall is 100%.
//
// Pages carry the route tags of manifest.PageTags: their own page tag,
// the tree tag of every directory above them, the kids tag of their
// directory and their kind. On that family the fewest tags come from one
// pass over the route tree (cost below), for each choice of the pure
// kind tags; a URL whose cached copy carries other tags (a build from
// before page tags) is covered greedily by its own pure tags, else by URL.

import (
	"cmp"
	"container/heap"
	"maps"
	"slices"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// cover is an exact cover of a set of live URLs.
type cover struct {
	tags   []string          // the tags to purge
	single map[string]string // a chosen tag that reaches one URL -> that URL
	urls   []string          // URLs of the set no pure tag reaches
}

// tagCount is how many live URLs carry a tag, and how many of those are
// in the set to purge.
type tagCount struct{ total, in int }

// exactCover covers want (URLs of live) exactly; live maps each live URL
// to the tags its cached copy carries.
func exactCover(live map[string][]string, want map[string]bool) cover {
	c := cover{single: map[string]string{}}
	if len(want) == 0 {
		return c
	}
	counts := map[string]*tagCount{}
	for u, tags := range live {
		for _, t := range tags {
			n := counts[t]
			if n == nil {
				n = &tagCount{}
				counts[t] = n
			}
			n.total++
			if want[u] {
				n.in++
			}
		}
	}
	pure := func(t string) bool { n := counts[t]; return n != nil && n.total == n.in }

	// The URLs whose tags are the route tags, and the pure kind tags
	// among them.
	var routed []string
	var rest []string
	kinds := map[string]bool{}
	for u := range want {
		if slices.Equal(live[u], manifest.PageTags(u)) {
			routed = append(routed, u)
			if k := manifest.KindTag(u); pure(k) {
				kinds[k] = true
			}
		} else {
			rest = append(rest, u)
		}
	}
	slices.Sort(routed)
	best := routeCover{cost: -1}
	kindList := slices.Sorted(maps.Keys(kinds))
	if len(kindList) > 3 {
		// Try the largest three; the others are covered route by route.
		slices.SortStableFunc(kindList, func(a, b string) int { return counts[b].total - counts[a].total })
		kindList = kindList[:3]
	}
	for mask := 0; mask < 1<<len(kindList); mask++ {
		var chosen []string
		for i, k := range kindList {
			if mask&(1<<i) != 0 {
				chosen = append(chosen, k)
			}
		}
		var need []string
		for _, u := range routed {
			if !slices.Contains(chosen, manifest.KindTag(u)) {
				need = append(need, u)
			}
		}
		rc := coverRoutes(need, pure)
		rc.tags = append(rc.tags, chosen...)
		rc.cost += len(chosen)
		if best.cost < 0 || rc.cost < best.cost {
			best = rc
		}
	}
	c.tags = best.tags
	rest = append(rest, best.left...)
	for _, u := range routed {
		if t := manifest.PageTag(u); counts[t].total == 1 && slices.Contains(c.tags, t) {
			c.single[t] = u
		}
	}
	if len(rest) > 0 {
		tags, urls := greedyCover(live, rest, pure, counts, c.single)
		c.tags = append(c.tags, tags...)
		c.urls = urls
	}
	slices.Sort(c.tags)
	c.tags = slices.Compact(c.tags)
	slices.Sort(c.urls)
	return c
}

// routeCover is the cover of routed URLs: tags, their number, and the
// URLs whose own page tag is not pure (left to the greedy pass).
type routeCover struct {
	tags []string
	cost int
	left []string
}

// routeNode is a directory of the route tree, holding the URLs to cover.
type routeNode struct {
	dir   string
	self  bool     // the directory's own page is to be covered
	files []string // pages directly in the directory, not directories
	kids  map[string]*routeNode
}

// coverRoutes covers the routes in need (URLs carrying the route tags)
// with the fewest pure tags on the route tree.
func coverRoutes(need []string, pure func(string) bool) routeCover {
	root := &routeNode{dir: "/", kids: map[string]*routeNode{}}
	var left []string
	for _, u := range need {
		if !pure(manifest.PageTag(u)) {
			left = append(left, u) // another URL shares its tag: not ours to pick
			continue
		}
		n := root
		dirs := strings.SplitAfter(strings.TrimPrefix(u, "/"), "/")
		at := "/"
		for _, seg := range dirs {
			if !strings.HasSuffix(seg, "/") {
				break
			}
			at += seg
			k := n.kids[at]
			if k == nil {
				k = &routeNode{dir: at, kids: map[string]*routeNode{}}
				n.kids[at] = k
			}
			n = k
		}
		if strings.HasSuffix(u, "/") {
			n.self = true
		} else {
			n.files = append(n.files, u)
		}
	}
	tags, _ := root.covers(pure)
	return routeCover{tags: tags, cost: len(tags), left: left}
}

// covers is the fewest pure tags reaching every URL to cover under n,
// and the same when n's own page is reached already (by its parent's
// kids tag). The tree tag reaches everything under n; else n's own page
// takes its page tag, and the rest the cheaper of: each child on its own,
// or the kids tag (every page directly in n) and what the children need
// besides their own pages. Each node is visited once.
func (n *routeNode) covers(pure func(string) bool) (own, selfDone []string) {
	if !n.self && len(n.files) == 0 && len(n.kids) == 0 {
		return nil, nil
	}
	if t := manifest.TreeTag(n.dir); pure(t) {
		if len(n.files) == 0 && len(n.kids) == 0 {
			return []string{t}, nil // n's own page alone
		}
		return []string{t}, []string{t}
	}
	kids := slices.SortedFunc(maps.Values(n.kids), func(a, b *routeNode) int { return cmp.Compare(a.dir, b.dir) })
	var apart, together []string
	for _, f := range n.files {
		apart = append(apart, manifest.PageTag(f))
	}
	kt := manifest.KidsTag(n.dir)
	useKids := (len(n.files) > 0 || len(kids) > 0) && pure(kt)
	if useKids {
		together = append(together, kt)
	}
	for _, k := range kids {
		kOwn, kDone := k.covers(pure)
		apart = append(apart, kOwn...)
		if k.self {
			together = append(together, kDone...)
		} else {
			together = append(together, kOwn...)
		}
	}
	rest := apart
	if useKids && len(together) < len(apart) {
		rest = together
	}
	if n.self {
		own = append([]string{manifest.PageTag(n.dir)}, rest...)
	} else {
		own = rest
	}
	return own, rest
}

// greedyCover covers urls by their pure tags, each time the tag reaching
// the most URLs not reached yet; what no pure tag reaches is returned to
// purge by URL. A chosen tag that reaches one URL goes into single.
func greedyCover(live map[string][]string, urls []string, pure func(string) bool, counts map[string]*tagCount, single map[string]string) (tags, byURL []string) {
	reach := map[string][]string{} // pure tag -> the URLs of urls carrying it
	for _, u := range urls {
		any := false
		for _, t := range live[u] {
			if pure(t) {
				reach[t] = append(reach[t], u)
				any = true
			}
		}
		if !any {
			byURL = append(byURL, u)
		}
	}
	done := map[string]bool{}
	h := &gainHeap{}
	for t, us := range reach {
		heap.Push(h, gain{t, len(us)})
	}
	for h.Len() > 0 {
		g := heap.Pop(h).(gain)
		n := 0
		for _, u := range reach[g.tag] {
			if !done[u] {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if n < g.n { // stale: gains only shrink, so put it back with its own
			heap.Push(h, gain{g.tag, n})
			continue
		}
		tags = append(tags, g.tag)
		if counts[g.tag].total == 1 {
			single[g.tag] = reach[g.tag][0]
		}
		for _, u := range reach[g.tag] {
			done[u] = true
		}
	}
	return tags, byURL
}

type gain struct {
	tag string
	n   int
}

// gainHeap pops the tag reaching the most, ties by name.
type gainHeap []gain

func (h gainHeap) Len() int { return len(h) }
func (h gainHeap) Less(i, j int) bool {
	if h[i].n != h[j].n {
		return h[i].n > h[j].n
	}
	return h[i].tag < h[j].tag
}
func (h gainHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *gainHeap) Push(x any)   { *h = append(*h, x.(gain)) }
func (h *gainHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Cover is the purge that reaches exactly the pages of live at urls: the
// fewest of their Cache-Tags that reach no other URL, and the URLs no
// such tag reaches, to purge by URL. Editors' purges use it to turn "what
// shows this content" into page tags.
func Cover(live *manifest.Manifest, urls []string) (tags, byURL []string) {
	served := servedURLs(live)
	liveTags := make(map[string][]string, len(served))
	for u, f := range served {
		liveTags[u] = f.HeaderTags()
	}
	want := map[string]bool{}
	for _, u := range urls {
		if _, ok := served[u]; ok {
			want[u] = true
		}
	}
	c := exactCover(liveTags, want)
	return c.tags, c.urls
}
