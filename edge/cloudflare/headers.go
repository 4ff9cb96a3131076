package cloudflare

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// maxHeaderRules is the most rules a _headers file may have on Workers
// Static Assets.
const maxHeaderRules = 100

// policy is the cache headers one file is served with.
type policy struct {
	cacheControl string
	cdn          string
}

// headersFile writes the _headers rules that serve each file of m with
// its cache policy, in few rules (the dist/_headers of the build has one
// per page, far past Cloudflare's 100): the commonest policy for "/*",
// and for each other policy the widest directories all of whose files
// share it ("/_assets/*"), else the single paths. Past 100 rules, it
// keeps those that matter most and says what it left out. Cloudflare joins the
// values of a header two rules set, so each narrower rule detaches the
// wide rule's headers before setting its own. Cache-Tag is left out:
// Workers Static Assets switch with the deployment, no purge applies.
func headersFile(m *manifest.Manifest) (text, warning string, err error) {
	pol := map[string]policy{} // served path -> policy
	count := map[policy]int{}
	for _, f := range m.Files {
		if manifest.IsOwnFile(f.Path) {
			continue
		}
		p := policy{f.CacheControl, f.CDNCacheControl}
		pol[f.URL()] = p
		count[p]++
	}
	if len(pol) == 0 {
		return "# Written by verge deploy --target cloudflare: no files.\n", "", nil
	}
	// The common policy covers "/*": the most frequent one, but never an
	// immutable one while others exist (a file whose rule is left out
	// falls back to it, and no page may become immutable). Should the
	// files fresher than it need too many rules, the freshest policy goes
	// there instead: then no file is fresher than the common policy.
	policies := slices.Collect(maps.Keys(count))
	frequent := slices.MaxFunc(policies, func(x, y policy) int {
		if xi, yi := x.immutable(), y.immutable(); xi != yi {
			if xi {
				return -1
			}
			return 1
		}
		if c := count[x] - count[y]; c != 0 {
			return c
		}
		return strings.Compare(y.cacheControl+y.cdn, x.cacheControl+x.cdn) // ties: a stable choice
	})
	text, warning, err = headerRules(pol, frequent)
	if err == nil {
		return text, warning, nil
	}
	freshest := slices.MinFunc(policies, func(x, y policy) int {
		if c := x.maxAge() - y.maxAge(); c != 0 {
			return c
		}
		if c := count[y] - count[x]; c != 0 {
			return c
		}
		return strings.Compare(x.cacheControl+x.cdn, y.cacheControl+y.cdn)
	})
	if freshest == frequent {
		return "", "", err
	}
	return headerRules(pol, freshest)
}

// headerRules writes the rules with common on "/*" (see headersFile).
func headerRules(pol map[string]policy, common policy) (text, warning string, err error) {
	var b strings.Builder
	b.WriteString("# Written by verge deploy --target cloudflare: the cache policy of every file.\n")
	writeRule(&b, "/*", common, false)
	// A directory is uniform when every file under it has one policy.
	under := map[string]map[policy]bool{}
	for p, x := range pol {
		for d := dirOf(p); ; d = path.Dir(d) {
			if under[d] == nil {
				under[d] = map[policy]bool{}
			}
			under[d][x] = true
			if d == "/" {
				break
			}
		}
	}
	// Each file of another policy: a rule for the widest uniform
	// directory below the root that holds it, else for its own path.
	type rule struct {
		pattern string
		pol     policy
		files   int
	}
	byPattern := map[string]*rule{}
	for _, p := range slices.Sorted(maps.Keys(pol)) {
		x := pol[p]
		if x == common {
			continue
		}
		pattern := p
		for d := dirOf(p); d != "/"; d = path.Dir(d) {
			if len(under[d]) == 1 {
				pattern = d + "/*"
			}
		}
		if byPattern[pattern] == nil {
			byPattern[pattern] = &rule{pattern: pattern, pol: x}
		}
		byPattern[pattern].files++
	}
	list := slices.Collect(maps.Values(byPattern))
	warning = ""
	if len(list) > maxHeaderRules-1 {
		// Past Cloudflare's limit. A file whose rule is left out gets the
		// common policy: harmless for one cached longer by its own policy
		// (it is only cached less), wrong for one that must be fresher.
		// Keep those first, then the rules covering most files.
		slices.SortFunc(list, func(a, b *rule) int {
			af, bf := a.pol.maxAge() < common.maxAge(), b.pol.maxAge() < common.maxAge()
			if af != bf {
				if af {
					return -1
				}
				return 1
			}
			if a.files != b.files {
				return b.files - a.files
			}
			return strings.Compare(a.pattern, b.pattern)
		})
		if r := list[maxHeaderRules-1]; r.pol.maxAge() < common.maxAge() {
			return "", "", fmt.Errorf("_headers: the build's files need more than %d rules, and Cloudflare takes %d: %s and others must be fresher than the common policy (%s); give files that share a directory one cache policy", maxHeaderRules, maxHeaderRules, r.pattern, common.cacheControl)
		}
		left := 0
		for _, r := range list[maxHeaderRules-1:] {
			left += r.files
		}
		list = list[:maxHeaderRules-1]
		warning = fmt.Sprintf("_headers: Cloudflare takes %d rules; %d files that may be cached longer are served with the common cache policy (%s)", maxHeaderRules, left, common.cacheControl)
	}
	slices.SortFunc(list, func(a, b *rule) int { return strings.Compare(a.pattern, b.pattern) })
	for _, r := range list {
		writeRule(&b, r.pattern, r.pol, true)
	}
	return b.String(), warning, nil
}

func writeRule(b *strings.Builder, pattern string, p policy, detach bool) {
	b.WriteString(pattern + "\n")
	if detach {
		b.WriteString("  ! Cache-Control\n  ! CDN-Cache-Control\n")
	}
	b.WriteString("  Cache-Control: " + p.cacheControl + "\n")
	if p.cdn != "" {
		b.WriteString("  CDN-Cache-Control: " + p.cdn + "\n")
	}
	if p.immutable() {
		b.WriteString("  X-Content-Type-Options: nosniff\n")
	}
}

// dirOf is the directory a served path is in, as a "DIR/*" rule sees it:
// a directory URL ("/posts/a/") is inside its own directory.
func dirOf(p string) string {
	if strings.HasSuffix(p, "/") {
		return path.Clean(p)
	}
	return path.Dir(p)
}

func (p policy) immutable() bool { return strings.Contains(p.cacheControl, "immutable") }

// maxAge is how long browsers may use a response without asking: its
// max-age, or none when it must revalidate or is not to be stored.
func (p policy) maxAge() int {
	cc := strings.ToLower(p.cacheControl)
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "no-cache") || strings.Contains(cc, "must-revalidate") {
		return 0
	}
	for _, d := range strings.Split(cc, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return 0
}
