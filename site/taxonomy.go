package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
)

// Taxonomy groups a collection's entries by terms, such as tags.
type Taxonomy[T any] struct {
	coll      *Collection[T]
	name      string
	keys      func(e *Entry[T]) []string
	permalink string        // set by EachTerm
	src       *taxSource[T] // the taxonomy as the build engine loads it
}

// Term is one value of a taxonomy and the entries that carry it, in the
// collection's order.
type Term[T any] struct {
	Name    string
	Slug    string
	Entries []*Entry[T]
	url     string
	version string
}

// URL is the term's page URL when EachTerm declared one, else "".
func (t *Term[T]) URL() string { return t.url }

type taxState[T any] struct {
	terms   []*Term[T]
	bySlug  map[string]*Term[T]
	version string            // names and sizes of all terms
	slugs   map[string]string // Slugify memo: the same few keys recur on every entry
	vers    stateVersions
}

// Tags declares the taxonomy "tags" over the entries' front matter tags.
func Tags[T any](coll *Collection[T]) *Taxonomy[T] {
	return NewTaxonomy(coll, "tags", func(e *Entry[T]) []string { return e.Tags })
}

// NewTaxonomy declares a taxonomy called name whose terms for an entry are
// keys(entry).
func NewTaxonomy[T any](coll *Collection[T], name string, keys func(e *Entry[T]) []string) *Taxonomy[T] {
	t := &Taxonomy[T]{coll: coll, name: name, keys: keys}
	t.src = &taxSource[T]{t}
	coll.s.loaders = append(coll.s.loaders, t.src)
	return t
}

// Slugify makes a URL path segment from a term: lower case, letters and
// digits kept, runs of anything else turned into one "-".
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

func (t *Taxonomy[T]) tag() string { return engine.MakeTag("x", t.name) }

func termTag(tax, slug string) string { return engine.MakeTag("t", tax+"/"+slug) }

// load groups the collection's loaded entries; it runs after the
// collection's own load because declarations run in order.
func (t *Taxonomy[T]) load(b *engine.Build, _ *diag.List) { t.group(b, nil) }

// reload is load for the dev server: the old grouping stands while the
// collection's state is the same, and when a few entries changed only
// their terms are regrouped.
func (t *Taxonomy[T]) reload(b, old *engine.Build, _ *engine.ChangeSet, _ *diag.List) {
	prev, _ := old.State(t.src).(*taxState[T])
	if prev == nil {
		t.group(b, nil)
		return
	}
	was, _ := old.State(t.coll.src).(*collState[T])
	now := t.coll.state(b)
	if was == now {
		b.SetState(t.src, prev)
		return
	}
	if was == nil || !t.regroup(b, prev, was, now) {
		t.group(b, prev)
	}
}

// group builds the terms, reusing prev's slugs (prev may be nil).
func (t *Taxonomy[T]) group(b *engine.Build, prev *taxState[T]) {
	st := t.coll.state(b)
	ts := &taxState[T]{bySlug: map[string]*Term[T]{}, slugs: map[string]string{}}
	if prev != nil {
		ts.slugs = prev.slugs
	}
	for _, e := range st.entries {
		for _, k := range t.keys(e) {
			term, isNew := t.term(ts, k)
			if term == nil {
				continue
			}
			if isNew {
				ts.terms = append(ts.terms, term)
			}
			if len(term.Entries) == 0 || term.Entries[len(term.Entries)-1] != e {
				term.Entries = append(term.Entries, e)
			}
		}
	}
	slices.SortFunc(ts.terms, func(a, b *Term[T]) int { return strings.Compare(a.Slug, b.Slug) })
	for _, term := range ts.terms {
		term.version = termVersion(term)
	}
	t.finish(b, ts)
}

// slug returns the slug of key k, memoised in ts.
func (ts *taxState[T]) slug(k string) string {
	slug, ok := ts.slugs[k]
	if !ok {
		slug = Slugify(k)
		ts.slugs[k] = slug
	}
	return slug
}

// term returns the term of key k in ts, making it (isNew) if there is
// none; nil for a key with an empty slug, which names no term.
func (t *Taxonomy[T]) term(ts *taxState[T], k string) (term *Term[T], isNew bool) {
	slug := ts.slug(k)
	if slug == "" {
		return nil, false
	}
	term, ok := ts.bySlug[slug]
	if !ok {
		term = &Term[T]{Name: k, Slug: slug}
		if t.permalink != "" {
			term.url = strings.ReplaceAll(t.permalink, "{term}", slug)
		}
		ts.bySlug[slug] = term
	}
	return term, !ok
}

// termVersion hashes what a term's pages show of it: its name as first
// written, and its entries in order.
func termVersion[T any](term *Term[T]) string {
	buf := append([]byte(nil), term.Name...)
	for _, e := range term.Entries {
		buf = append(buf, 0)
		buf = append(buf, e.ID...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:12])
}

// finish versions the taxonomy as a whole (which terms there are, their
// names and sizes) and stores ts as b's state.
func (t *Taxonomy[T]) finish(b *engine.Build, ts *taxState[T]) {
	all := sha256.New()
	for _, term := range ts.terms {
		fmt.Fprintf(all, "%s\x00%s\x00%d\x00", term.Slug, term.Name, len(term.Entries))
	}
	ts.version = hex.EncodeToString(all.Sum(nil)[:12])
	b.SetState(t.src, ts)
}

func (t *Taxonomy[T]) state(b *engine.Build) *taxState[T] { return b.State(t.src).(*taxState[T]) }

// Terms returns every term sorted by slug, recording the taxonomy: which
// terms exist, their names and how many entries each has. The entries
// themselves are not recorded; a page that shows them should read each
// term through Term, or the entries through their collection.
func (t *Taxonomy[T]) Terms(c *Ctx) []*Term[T] {
	ts := t.state(c.rec.Build)
	c.rec.Read(t.tag(), ts.version)
	return ts.terms
}

// Term returns the term with the given name or slug and records it
// (its members and their order), or nil if no entry carries it.
func (t *Taxonomy[T]) Term(c *Ctx, name string) *Term[T] {
	ts := t.state(c.rec.Build)
	slug := Slugify(name)
	term := ts.bySlug[slug]
	if term == nil {
		c.rec.Read(t.tag(), ts.version)
		return nil
	}
	c.rec.Read(termTag(t.name, slug), term.version)
	return term
}

type termRoute[T any] struct {
	tax  *Taxonomy[T]
	per  int
	decl string
	fn   func(c *Ctx, term *Term[T], p *Pager[T]) (templ.Component, error)
}

func (r termRoute[T]) Input(b *engine.Build) any { return r.tax.state(b) }

func (r termRoute[T]) Expand(b *engine.Build) []engine.PageJob {
	var jobs []engine.PageJob
	for _, term := range r.tax.state(b).terms {
		jobs = r.appendTerm(jobs, term)
	}
	return jobs
}

// appendTerm appends the pages of one term to jobs.
func (r termRoute[T]) appendTerm(jobs []engine.PageJob, term *Term[T]) []engine.PageJob {
	for _, p := range paginate(term.url, term.Entries, r.per) {
		jobs = append(jobs, pageJob(p.URL(), r.decl, r.decl, func(c *Ctx) (templ.Component, error) {
			c.rec.Read(termTag(r.tax.name, term.Slug), term.version)
			for _, e := range p.Items {
				c.rec.Read(e.cardTag(), e.cardVersion)
			}
			return r.fn(c, term, p)
		}))
	}
	return jobs
}

// Reexpand is Expand reusing prev, the jobs expanded from the state was,
// for every term that is still there unchanged (regroup keeps those).
func (r termRoute[T]) Reexpand(b *engine.Build, was any, prev []engine.PageJob) []engine.PageJob {
	old, _ := was.(*taxState[T])
	if old == nil {
		return r.Expand(b)
	}
	kept := make(map[*Term[T]][]engine.PageJob, len(old.terms))
	i := 0
	for _, term := range old.terms {
		n := max(1, (len(term.Entries)+r.per-1)/r.per) // as paginate makes
		if i+n > len(prev) {
			return r.Expand(b)
		}
		kept[term] = prev[i : i+n]
		i += n
	}
	var jobs []engine.PageJob
	for _, term := range r.tax.state(b).terms {
		if k, ok := kept[term]; ok {
			jobs = append(jobs, k...)
		} else {
			jobs = r.appendTerm(jobs, term)
		}
	}
	return jobs
}

// EachTerm declares paginated pages for every term of tax at pattern, e.g.
// "/tags/{term}/" (page K at "/tags/{term}/page/K/"). It also gives the
// terms their URL.
func EachTerm[T any](s *Site, pattern string, tax *Taxonomy[T], perPage int, fn func(c *Ctx, term *Term[T], p *Pager[T]) (templ.Component, error)) {
	decl := s.declSite(1)
	if err := engine.ValidRoute(pattern); err != nil || !strings.Contains(pattern, "{term}") || !strings.HasSuffix(pattern, "/") {
		s.declError("term route %q must start and end with / and contain {term}", pattern)
		return
	}
	if perPage < 1 {
		s.declError("perPage must be at least 1, not %d", perPage)
		return
	}
	tax.permalink = pattern
	s.routes = append(s.routes, termRoute[T]{tax: tax, per: perPage, decl: decl, fn: fn})
}
