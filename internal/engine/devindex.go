package engine

// This file holds the dev server's index from tag to the pages that
// read it.

// tagIndex maps each tag to the pages of the dev server's last good build
// that read it, so a rebuild finds the pages a change touches by looking
// up the changed tags instead of checking every page's tags: on a
// 10,000-page site that is the difference between a few microseconds and
// tens of milliseconds per edit.
type tagIndex struct {
	pages    map[string]map[string]bool // tag -> output paths
	volatile map[string]bool            // pages with a tag no build versions (Ctx.Depend)
}

func newTagIndex() *tagIndex {
	return &tagIndex{pages: map[string]map[string]bool{}, volatile: map[string]bool{}}
}

// dirty returns the output paths of old's pages that read a tag whose
// version differs in nb, or one without a version. With no old build
// there is nothing to reuse, and the result is empty.
func (x *tagIndex) dirty(old, nb *DevBuild) map[string]bool {
	out := map[string]bool{}
	if old == nil {
		return out
	}
	old.versions.changed(nb.versions, func(t string) {
		for p := range x.pages[t] {
			out[p] = true
		}
	})
	for p := range x.volatile {
		out[p] = true
	}
	return out
}

// update makes the index describe nb, given the pages rendered for it and
// those it no longer has.
func (x *tagIndex) update(old, nb *DevBuild, rendered, removed []string) {
	forget := func(pg *DevPage, p string) {
		for _, t := range pg.tags {
			if set := x.pages[t]; set != nil {
				delete(set, p)
				if len(set) == 0 {
					delete(x.pages, t)
				}
			}
		}
		delete(x.volatile, p)
	}
	if old == nil {
		x.pages, x.volatile = map[string]map[string]bool{}, map[string]bool{}
	} else {
		for _, p := range removed {
			forget(old.pages[p], p)
		}
		for _, p := range rendered {
			if op := old.pages[p]; op != nil {
				forget(op, p)
			}
		}
	}
	for _, p := range rendered {
		pg := nb.pages[p]
		for _, t := range pg.tags {
			set := x.pages[t]
			if set == nil {
				set = map[string]bool{}
				x.pages[t] = set
			}
			set[p] = true
			if _, ok := nb.versions.get(t); !ok {
				x.volatile[p] = true
			}
		}
	}
}
