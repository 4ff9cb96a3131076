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
	touched := map[string]*termData[T]{} // by slug: terms of ts that differ from prev's
	reshaped := false                    // a term came or went
	edit := func(k string) *termData[T] {
		tm, isNew := t.term(ts, k)
		if tm == nil {
			return nil
		}
		if c := touched[tm.slug]; c != nil {
			return c
		}
		if isNew {
			reshaped = true
		} else {
			c := *tm // prev's term stays as it was: old builds still read it
			c.entries = slices.Clone(tm.entries)
			tm = &c
			ts.bySlug[tm.slug] = tm
		}
		touched[tm.slug] = tm
		return tm
	}
	for _, e := range gone {
		for _, k := range t.keys(e.bare) {
			if tm := edit(k); tm != nil {
				tm.entries = slices.DeleteFunc(tm.entries, func(x *entry[T]) bool { return x == e })
			}
		}
	}
	for _, e := range came {
		for _, k := range t.keys(e.bare) {
			if tm := edit(k); tm != nil {
				at, found := slices.BinarySearchFunc(tm.entries, e, t.coll.order)
				if !found || tm.entries[at] != e { // two keys of e may share a slug
					tm.entries = slices.Insert(tm.entries, at, e)
				}
			}
		}
	}
	for slug, tm := range touched {
		if len(tm.entries) == 0 {
			delete(ts.bySlug, slug)
			reshaped = true
			continue
		}
		tm.name = t.firstName(ts, tm)
		tm.version = termVersion(tm)
	}
	if reshaped {
		ts.terms = slices.SortedFunc(maps.Values(ts.bySlug), func(a, b *termData[T]) int { return strings.Compare(a.slug, b.slug) })
	} else {
		ts.terms = slices.Clone(prev.terms)
		for i, tm := range ts.terms {
			if c := touched[tm.slug]; c != nil {
				ts.terms[i] = c
			}
		}
	}
	t.finish(b, ts)
	return true
}

// firstName is the term's name as group would give it: the first key of
// its first entry that has the term's slug.
func (t *Taxonomy[T]) firstName(ts *taxState[T], tm *termData[T]) string {
	for _, k := range t.keys(tm.entries[0].bare) {
		if ts.slug(k) == tm.slug {
			return k
		}
	}
	return tm.name
}

// diffEntries compares two sorted entry lists of coll: gone are the
// entries of was not in now, came those of now not in was (an edited
// entry is both: it is a new *Entry). ok is false once more than limit
// differ.
func diffEntries[T any](coll *Collection[T], was, now []*entry[T], limit int) (gone, came []*entry[T], ok bool) {
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
