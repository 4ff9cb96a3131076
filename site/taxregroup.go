package site

import (
	"github.com/vergehq/verge/internal/engine"

	"maps"
	"slices"
	"strings"
)

// regroupLimit is how many entries may come and go for regroup to patch
// the terms; beyond it group runs, which costs the same whatever changed.
const regroupLimit = 64

// regroup makes b's state from prev, which was grouped from the
// collection state was, for the collection state now: only the terms of
// the entries that came, went or changed are copied and updated, so an
// edit to one post of 10,000 touches a handful of terms. It reports false
// when too much changed for that to pay.
func (t *Taxonomy[T]) regroup(b *engine.Build, prev *taxState[T], was, now *collState[T]) bool {
	gone, came, ok := diffEntries(t.coll, was.entries, now.entries, regroupLimit)
	if !ok {
		return false
	}
	ts := &taxState[T]{bySlug: maps.Clone(prev.bySlug), slugs: prev.slugs}
	touched := map[string]*Term[T]{} // by slug: terms of ts that differ from prev's
	reshaped := false                // a term came or went
	edit := func(k string) *Term[T] {
		term, isNew := t.term(ts, k)
		if term == nil {
			return nil
		}
		if c := touched[term.Slug]; c != nil {
			return c
		}
		if isNew {
			reshaped = true
		} else {
			c := *term // prev's term stays as it was: old builds still read it
			c.Entries = slices.Clone(term.Entries)
			term = &c
			ts.bySlug[term.Slug] = term
		}
		touched[term.Slug] = term
		return term
	}
	for _, e := range gone {
		for _, k := range t.keys(e) {
			if term := edit(k); term != nil {
				term.Entries = slices.DeleteFunc(term.Entries, func(x *Entry[T]) bool { return x == e })
			}
		}
	}
	for _, e := range came {
		for _, k := range t.keys(e) {
			if term := edit(k); term != nil {
				at, found := slices.BinarySearchFunc(term.Entries, e, t.coll.order)
				if !found || term.Entries[at] != e { // two keys of e may share a slug
					term.Entries = slices.Insert(term.Entries, at, e)
				}
			}
		}
	}
	for slug, term := range touched {
		if len(term.Entries) == 0 {
			delete(ts.bySlug, slug)
			reshaped = true
			continue
		}
		term.Name = t.firstName(ts, term)
		term.version = termVersion(term)
	}
	if reshaped {
		ts.terms = slices.SortedFunc(maps.Values(ts.bySlug), func(a, b *Term[T]) int { return strings.Compare(a.Slug, b.Slug) })
	} else {
		ts.terms = slices.Clone(prev.terms)
		for i, term := range ts.terms {
			if c := touched[term.Slug]; c != nil {
				ts.terms[i] = c
			}
		}
	}
	t.finish(b, ts)
	return true
}

// firstName is the term's name as group would give it: the first key of
// its first entry that has the term's slug.
func (t *Taxonomy[T]) firstName(ts *taxState[T], term *Term[T]) string {
	for _, k := range t.keys(term.Entries[0]) {
		if ts.slug(k) == term.Slug {
			return k
		}
	}
	return term.Name
}

// diffEntries compares two sorted entry lists of coll: gone are the
// entries of was not in now, came those of now not in was (an edited
// entry is both: it is a new *Entry). ok is false once more than limit
// differ.
func diffEntries[T any](coll *Collection[T], was, now []*Entry[T], limit int) (gone, came []*Entry[T], ok bool) {
	i, j := 0, 0
	for i < len(was) || j < len(now) {
		switch {
		case i < len(was) && j < len(now) && was[i] == now[j]:
			i++
			j++
		case j == len(now) || (i < len(was) && coll.order(was[i], now[j]) < 0):
			gone = append(gone, was[i])
			i++
		case i == len(was) || coll.order(was[i], now[j]) > 0:
			came = append(came, now[j])
			j++
		default: // the same place in the order: a new version of the entry
			gone = append(gone, was[i])
			came = append(came, now[j])
			i++
			j++
		}
		if len(gone)+len(came) > limit {
			return nil, nil, false
		}
	}
	return gone, came, true
}
