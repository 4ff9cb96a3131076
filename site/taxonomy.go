package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// termData is one value of a taxonomy and the entries that carry it, in the
// collection's order, as loaded.
type termData[T any] struct {
	name    string
	slug    string
	entries []*entry[T]
	url     string
	version string
}

// Term is one value of a taxonomy as a page reads it. Its name, slug, URL
// and size are recorded with the read that gave it (Terms, Term); its
// entries are recorded when the page asks for them.
type Term[T any] struct {
	d   *termData[T]
	tax *Taxonomy[T]
	rec *engine.Recorder
}

// Name is the term as first written in the entries, e.g. "Go".
func (t *Term[T]) Name() string { return t.d.name }

// Slug is the term made a URL path segment (see Slugify).
func (t *Term[T]) Slug() string { return t.d.slug }

// URL is the term's page URL when EachTerm declared one, else "".
func (t *Term[T]) URL() string { return t.d.url }

// Count is how many entries carry the term.
func (t *Term[T]) Count() int { return len(t.d.entries) }

// Entries returns the entries that carry the term, in the collection's
// order, recording which they are.
func (t *Term[T]) Entries() []*Entry[T] {
	if t.rec != nil {
		t.rec.Read(termTag(t.tax.name, t.d.slug), t.d.version)
	}
	return views(t.d.entries, t.rec)
}

type taxState[T any] struct {
	terms    []*termData[T]
	bySlug   map[string]*termData[T]
	version  string            // names and sizes of all terms
	slugs    map[string]string // Slugify memo: the same few keys recur on every entry
	vers     stateVersions
	tagsOnce sync.Once
	tags     map[string]*termData[T] // by tag, for facts: made when a build asks
}

// Tags declares the taxonomy "tags" over the entries' front matter tags.
func Tags[T any](coll *Collection[T]) *Taxonomy[T] {
	return NewTaxonomy(coll, "tags", func(e *Entry[T]) []string { return e.d.tags })
}

// NewTaxonomy declares a taxonomy called name whose terms for an entry are
// keys(entry). What keys reads is not recorded as any page's: the terms
// it makes are, as the taxonomy's.
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
	ts := &taxState[T]{bySlug: map[string]*termData[T]{}, slugs: map[string]string{}}
	if prev != nil {
		ts.slugs = prev.slugs
	}
	for _, e := range st.entries {
		for _, k := range t.keys(e.bare) {
			term, isNew := t.term(ts, k)
			if term == nil {
				continue
			}
			if isNew {
				ts.terms = append(ts.terms, term)
			}
			if len(term.entries) == 0 || term.entries[len(term.entries)-1] != e {
				term.entries = append(term.entries, e)
			}
		}
	}
	slices.SortFunc(ts.terms, func(a, b *termData[T]) int { return strings.Compare(a.slug, b.slug) })
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
func (t *Taxonomy[T]) term(ts *taxState[T], k string) (tm *termData[T], isNew bool) {
	slug := ts.slug(k)
	if slug == "" {
		return nil, false
	}
	tm, ok := ts.bySlug[slug]
	if !ok {
		tm = &termData[T]{name: k, slug: slug}
		if t.permalink != "" {
			tm.url = strings.ReplaceAll(t.permalink, "{term}", slug)
		}
		ts.bySlug[slug] = tm
	}
	return tm, !ok
}

// termVersion hashes what a term's pages show of it: its name as first
// written, and its entries in order.
func termVersion[T any](tm *termData[T]) string {
	buf := append([]byte(nil), tm.name...)
	for _, e := range tm.entries {
		buf = append(buf, 0)
		buf = append(buf, e.id...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:12])
}

// finish versions the taxonomy as a whole (which terms there are, their
// names and sizes) and stores ts as b's state.
func (t *Taxonomy[T]) finish(b *engine.Build, ts *taxState[T]) {
	all := sha256.New()
	for _, term := range ts.terms {
		fmt.Fprintf(all, "%s\x00%s\x00%d\x00", term.slug, term.name, len(term.entries))
	}
	ts.version = hex.EncodeToString(all.Sum(nil)[:12])
	b.SetState(t.src, ts)
}

func (t *Taxonomy[T]) state(b *engine.Build) *taxState[T] { return b.State(t.src).(*taxState[T]) }

// Terms returns every term sorted by slug, recording the taxonomy: which
// terms exist, their names and how many entries each has. A term's
// entries are recorded when the page reads them (Term.Entries).
func (t *Taxonomy[T]) Terms(c *Ctx) []*Term[T] {
	ts := t.state(c.rec.Build)
	c.rec.Read(t.tag(), ts.version)
	out := make([]*Term[T], len(ts.terms))
	for i, tm := range ts.terms {
		out[i] = &Term[T]{d: tm, tax: t, rec: c.rec}
	}
	return out
}

// Term returns the term with the given name or slug and records it
// (its members and their order), or nil if no entry carries it.
func (t *Taxonomy[T]) Term(c *Ctx, name string) *Term[T] {
	ts := t.state(c.rec.Build)
	slug := Slugify(name)
	tm := ts.bySlug[slug]
	if tm == nil {
		c.rec.Read(t.tag(), ts.version)
		return nil
	}
	c.rec.Read(termTag(t.name, slug), tm.version)
	return &Term[T]{d: tm, tax: t, rec: c.rec}
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
func (r termRoute[T]) appendTerm(jobs []engine.PageJob, tm *termData[T]) []engine.PageJob {
	tag := termTag(r.tax.name, tm.slug)
	for _, p := range paginate(tm.url, tm.entries, r.per) {
		jobs = append(jobs, pageJob(p.url(), r.decl, r.decl, func(c *Ctx) (templ.Component, error) {
			c.rec.ReadFact(tag, sliceField(p.lo, p.hi, r.per), termFact(tm, sliceVersion(tm.entries, p.lo, p.hi)))
			return r.fn(c, &Term[T]{d: tm, tax: r.tax, rec: c.rec}, p.pager(c.rec))
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
	kept := make(map[*termData[T]][]engine.PageJob, len(old.terms))
	i := 0
	for _, term := range old.terms {
		n := max(1, (len(term.entries)+r.per-1)/r.per) // as paginate makes
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
