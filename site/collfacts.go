package site

// This file holds the facts of collections and taxonomies (see
// engine.Fact): which part of a collection a page read (its first n
// entries, one page of a list, the neighbours of an entry, its size) and
// how a build tells the version that part has now, so that a page whose
// part kept its version is not rendered again: a post added at the end
// of a list changes the list's last page, not its first.

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vergehq/verge/internal/engine"
)

// The parts of a list (a collection, a term's entries) a page can read.
const (
	fieldLen = "len" // how many entries
	// "first:N" is which entries the first N are; "slice:LO:HI:PER" is a
	// page of a list split into pages of PER: which entries it shows, and
	// how many pages and entries the list has; "near:ID" is which entries
	// come before and after ID; "dir:DIR" which entries are directly in
	// the directory DIR.
)

func firstField(n int) string    { return "first:" + strconv.Itoa(n) }
func nearField(id string) string { return "near:" + id }
func dirField(dir string) string { return "dir:" + strings.Trim(dir, "/") }

// sliceField names page [lo, hi) of a list paginated per per entries.
func sliceField(lo, hi, per int) string {
	return "slice:" + strconv.Itoa(lo) + ":" + strconv.Itoa(hi) + ":" + strconv.Itoa(per)
}

// idsVersion is the version of which entries list holds, in order (a nil
// entry is none).
func idsVersion[T any](list []*entry[T]) uint64 {
	ids := make([]string, len(list))
	for i, e := range list {
		if e != nil {
			ids[i] = e.id
		}
	}
	return engine.Hash(ids...)
}

func countVersion(n int) uint64 { return engine.Hash(strconv.Itoa(n)) }

// sliceVersion is the version of page [lo, hi) of list paginated per per:
// its entries and the list's size (which pages there are).
func sliceVersion[T any](list []*entry[T], lo, hi int) uint64 {
	return engine.Hash(strconv.Itoa(len(list)), strconv.FormatUint(idsVersion(list[lo:hi]), 16))
}

// listFactVersion is the version field of list has now; ok is false for
// a field lists do not have.
func listFactVersion[T any](list []*entry[T], field string, near func(id string) (prev, next *entry[T], ok bool)) (uint64, bool) {
	kind, arg, _ := strings.Cut(field, ":")
	switch kind {
	case fieldLen:
		return countVersion(len(list)), true
	case "first":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return 0, false
		}
		return idsVersion(list[:min(n, len(list))]), true
	case "slice":
		parts := strings.Split(arg, ":")
		if len(parts) != 3 {
			return 0, false
		}
		lo, err1 := strconv.Atoi(parts[0])
		hi, err2 := strconv.Atoi(parts[1])
		per, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || per < 1 || lo < 0 || hi < lo {
			return 0, false
		}
		if hi > len(list) || hi-lo > per {
			// The list shrank below this page: the page is gone or holds
			// other entries. No version the page could have recorded.
			return engine.Hash("gone", strconv.Itoa(len(list))), true
		}
		return sliceVersion(list, lo, hi), true
	case "near":
		if near == nil {
			return 0, false
		}
		p, n, ok := near(arg)
		if !ok {
			return engine.Hash("gone"), true
		}
		return idsVersion([]*entry[T]{p, n}), true
	}
	return 0, false
}

// neighbors returns the entries before and after the entry id in st's
// order; ok is false when st has no such entry.
func (st *collState[T]) neighbors(id string) (prev, next *entry[T], ok bool) {
	e := st.byID[id]
	if e == nil {
		return nil, nil, false
	}
	i := slices.Index(st.entries, e)
	if i < 0 {
		return nil, nil, false
	}
	if i > 0 {
		prev = st.entries[i-1]
	}
	if i+1 < len(st.entries) {
		next = st.entries[i+1]
	}
	return prev, next, true
}

// byTag maps a collection state's entry tags to its entries, made the
// first time a build asks for a fact: only rebuilds ask.
type byTag[T any] struct {
	once sync.Once
	m    map[string]*entry[T]
}

func (bt *byTag[T]) get(entries []*entry[T]) map[string]*entry[T] {
	bt.once.Do(func() {
		bt.m = make(map[string]*entry[T], len(entries))
		for _, e := range entries {
			bt.m[e.tagName] = e
		}
	})
	return bt.m
}

// byDir groups a collection state's entries by the directory of their
// ID, made the first time a page asks.
type byDir[T any] struct {
	once sync.Once
	m    map[string][]*entry[T]
}

// inDir is the entries directly in dir, in order.
func (st *collState[T]) inDir(dir string) []*entry[T] {
	st.byDir.once.Do(func() {
		st.byDir.m = map[string][]*entry[T]{}
		for _, e := range st.entries {
			d := path.Dir(e.id)
			if d == "." {
				d = ""
			}
			st.byDir.m[d] = append(st.byDir.m[d], e)
		}
	})
	return st.byDir.m[strings.Trim(dir, "/")]
}

// factVersion answers for the collection's own tag and its entries' tags.
func (c *Collection[T]) factVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	st := c.state(b)
	if k.Tag == c.tag() {
		if dir, ok := strings.CutPrefix(k.Field, "dir:"); ok {
			return idsVersion(st.inDir(dir)), true
		}
		return listFactVersion(st.entries, k.Field, st.neighbors)
	}
	if e := st.byTag.get(st.entries)[k.Tag]; e != nil {
		return e.fieldVersion(k.Field)
	}
	return 0, false
}

// factVersion answers for the taxonomy's terms' tags.
func (t *Taxonomy[T]) factVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	ts := t.state(b)
	ts.tagsOnce.Do(func() {
		ts.tags = make(map[string]*termData[T], len(ts.terms))
		for _, term := range ts.terms {
			ts.tags[termTag(t.name, term.slug)] = term
		}
	})
	tm := ts.tags[k.Tag]
	if tm == nil {
		return 0, false
	}
	v, ok := listFactVersion(tm.entries, k.Field, nil)
	return termFact(tm, v), ok
}

// termFact is the version of a part of a term's list: the part's, and
// the term's name, which its pages show with it (the name is the first
// spelling in the list's order, so it can change with the order).
func termFact[T any](tm *termData[T], v uint64) uint64 {
	return engine.Hash(tm.name, strconv.FormatUint(v, 16))
}
