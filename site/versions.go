package site

// This file holds the tag versions of what collections, taxonomies and
// data files load: the engine compares them between builds to find the
// pages an edit touches.

import (
	"sync/atomic"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
)

// stateVersions holds a loaded state's tag versions, computed the first
// time a build asks: the dev server shares an unchanged state between
// builds, and with it this map. Computing it twice (two builds asking at
// once) is harmless: both get the same.
type stateVersions struct {
	m atomic.Pointer[map[string]string]
}

func (sv *stateVersions) get(compute func(into map[string]string)) map[string]string {
	if m := sv.m.Load(); m != nil {
		return *m
	}
	m := map[string]string{}
	compute(m)
	sv.m.Store(&m)
	return m
}

func (c *Collection[T]) tagVersions(b *engine.Build) map[string]string {
	st := c.state(b)
	return st.vers.get(func(into map[string]string) {
		into[c.tag()] = st.version
		for _, e := range st.entries {
			into[e.tagName] = e.version
		}
	})
}

func (t *Taxonomy[T]) tagVersions(b *engine.Build) map[string]string {
	ts := t.state(b)
	return ts.vers.get(func(into map[string]string) {
		into[t.tag()] = ts.version
		for _, term := range ts.terms {
			into[termTag(t.name, term.slug)] = term.version
		}
	})
}

func (d *DataFile[T]) tagVersions(b *engine.Build) map[string]string {
	return map[string]string{d.tag(): b.State(d.src).(*dataState[T]).version}
}

// The sources as the engine sees them: each a content source
// (engine.Loader) of one declaration, whose loaded state is kept in a
// build under the source itself. They keep the engine's methods off the
// declarations' public types.
type (
	collSource[T any] struct{ c *Collection[T] }
	taxSource[T any]  struct{ t *Taxonomy[T] }
	dataSource[T any] struct{ d *DataFile[T] }
)

func (s *collSource[T]) Load(b *engine.Build, errs *diag.List) { s.c.load(b, errs) }
func (s *collSource[T]) Reload(b, old *engine.Build, ch *engine.ChangeSet, errs *diag.List) {
	s.c.reload(b, old, ch, errs)
}
func (s *collSource[T]) TagVersions(b *engine.Build) map[string]string { return s.c.tagVersions(b) }
func (s *collSource[T]) FactVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	return s.c.factVersion(b, k)
}

func (s *taxSource[T]) Load(b *engine.Build, errs *diag.List) { s.t.load(b, errs) }
func (s *taxSource[T]) Reload(b, old *engine.Build, ch *engine.ChangeSet, errs *diag.List) {
	s.t.reload(b, old, ch, errs)
}
func (s *taxSource[T]) TagVersions(b *engine.Build) map[string]string { return s.t.tagVersions(b) }
func (s *taxSource[T]) FactVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	return s.t.factVersion(b, k)
}

func (s *dataSource[T]) Load(b *engine.Build, errs *diag.List)         { s.d.load(b, errs) }
func (s *dataSource[T]) TagVersions(b *engine.Build) map[string]string { return s.d.tagVersions(b) }
func (s *dataSource[T]) FactVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	return s.d.factVersion(b, k)
}
