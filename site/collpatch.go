package site

import (
	"github.com/vergehq/verge/internal/engine"

	"maps"
	"slices"
	"weak"
)

// patch fills st from prev when only the files in ch changed: prev's
// order is kept without the entries that changed or went, and the new
// ones are inserted where they belong, so an edit costs a few map
// copies rather than sorting and indexing every entry again. entries are
// by st.fileList; reloaded marks those read again. It returns the
// entries that came (new, or new versions of old ones).
func (c *Collection[T]) patch(st, prev *collState[T], ch *engine.ChangeSet, entries []*entry[T], reloaded []bool, keep func(*entry[T]) bool) (came []*entry[T]) {
	gone := map[*entry[T]]bool{}
	st.files = maps.Clone(prev.files)
	for p := range ch.Paths {
		if e := prev.files[p]; e != nil {
			gone[e] = true
			delete(st.files, p)
		}
	}
	for i, e := range entries {
		if reloaded[i] && e != nil {
			st.files[st.fileList[i]] = e
			if keep(e) {
				came = append(came, e)
			}
		}
	}
	st.entries = make([]*entry[T], 0, len(prev.entries)+len(came))
	for _, e := range prev.entries {
		if !gone[e] {
			st.entries = append(st.entries, e)
		}
	}
	st.byID = maps.Clone(prev.byID)
	for e := range gone {
		if st.byID[e.id] == e {
			delete(st.byID, e.id)
		}
	}
	st.changed = append(st.changed, c.tag())
	for e := range gone {
		st.changed = append(st.changed, e.tagName)
	}
	for _, e := range came {
		at, _ := slices.BinarySearchFunc(st.entries, e, c.order)
		st.entries = slices.Insert(st.entries, at, e)
		st.byID[e.id] = e
		st.changed = append(st.changed, e.tagName)
	}
	st.from = weak.Make(prev)
	return came
}

// patchVersions gives st, patched from prev with the entries came, its
// tag versions from prev's if those were computed; otherwise they are
// computed when a build asks.
func (c *Collection[T]) patchVersions(st, prev *collState[T], came []*entry[T]) {
	pm := prev.vers.m.Load()
	if pm == nil {
		return
	}
	m := maps.Clone(*pm)
	for _, t := range st.changed {
		delete(m, t) // the tags of entries that went, and of those that came
	}
	m[c.tag()] = st.version
	for _, e := range came {
		m[e.tagName] = e.version
	}
	st.vers.m.Store(&m)
}

// Delta returns the tags whose versions may differ between from and st,
// if st was patched from from.
func (st *collState[T]) Delta(from any) ([]string, bool) {
	f, _ := from.(*collState[T])
	if f == nil || st.from.Value() != f {
		return nil, false
	}
	return st.changed, true
}
