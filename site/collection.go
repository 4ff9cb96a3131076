package site

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"weak"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/rawfile"
)

// Collection is a directory of Markdown files under content/ whose front
// matter decodes into T. Declare it once in main; read it from page
// functions through a Ctx so the read is recorded.
type Collection[T any] struct {
	s    *Site
	name string
	cmp  func(a, b *Entry[T]) int
	// permalink is the URL pattern of the collection's entries, set by Each.
	permalink string
	// src is the collection as the build engine loads it; its state in a
	// build is kept under src.
	src *collSource[T]
}

// collState is a collection as loaded by one build.
type collState[T any] struct {
	entries  []*entry[T] // sorted, drafts removed unless the config keeps them
	byID     map[string]*entry[T]
	version  string               // hash of the members in order: changes on add, remove, reorder
	files    map[string]*entry[T] // by absolute source path, drafts included
	fileList []string             // the keys of files, sorted
	vers     stateVersions
	byTag    byTag[T] // the entries by tag, for facts
	byDir    byDir[T] // the entries by directory, for InDir

	// When a few files changed, from is the state this one was patched
	// from and changed the tags whose versions may differ from its: the
	// dev server compares just those. The pointer is weak so that a chain
	// of edits does not keep every earlier state alive.
	from    weak.Pointer[collState[T]]
	changed []string
}

// order is the collection's sort order made total: entries the site's
// order holds equal go by ID, so the order never depends on how the
// entries were found, and an incremental update sorts as a fresh load.
func (c *Collection[T]) order(a, b *entry[T]) int {
	if r := c.cmp(a.bare, b.bare); r != 0 {
		return r
	}
	return strings.Compare(a.id, b.id)
}

// Markdown declares the collection content/dir: every .md file in it and
// its subdirectories. dir "" means only the .md files directly in content/
// (pages such as about.md), not those in subdirectories.
func Markdown[T any](s *Site, dir string) *Collection[T] {
	dir = strings.Trim(path.Clean("/"+dir), "/")
	c := &Collection[T]{s: s, name: dir, cmp: compareEntries[T]}
	c.src = &collSource[T]{c}
	s.loaders = append(s.loaders, c.src)
	return c
}

// SortBy replaces the collection's order (default: newest first, then by
// weight and title). It returns c for chaining. What cmp reads is not
// recorded as any page's: the order it makes is, as the collection's
// membership.
func (c *Collection[T]) SortBy(cmp func(a, b *Entry[T]) int) *Collection[T] {
	c.cmp = cmp
	return c
}

// Name is the collection's directory under content/.
func (c *Collection[T]) Name() string { return c.name }

func (c *Collection[T]) tag() string {
	name := c.name
	if name == "" {
		name = "."
	}
	return engine.MakeTag("c", name)
}

func (c *Collection[T]) state(b *engine.Build) *collState[T] {
	return b.State(c.src).(*collState[T])
}

// All returns every entry in order, recording the collection's membership
// and order; each value a page then reads of an entry is recorded on its
// own (see Entry).
func (c *Collection[T]) All(ctx *Ctx) []*Entry[T] {
	st := c.state(ctx.rec.Build)
	ctx.rec.Read(c.tag(), st.version)
	return views(st.entries, ctx.rec)
}

// InDir returns the entries directly in directory dir of the collection
// ("" for its top; "guides" for content/docs/guides/*.md of the
// collection "docs"), in order, recording which entries those are and
// not the rest of the collection: a page added to another directory
// renders none of this one's pages again. It is how a docs sidebar lists
// its section.
func (c *Collection[T]) InDir(ctx *Ctx, dir string) []*Entry[T] {
	st := c.state(ctx.rec.Build)
	list := st.inDir(dir)
	ctx.rec.ReadFact(c.tag(), dirField(dir), idsVersion(list))
	return views(list, ctx.rec)
}

// Latest returns the first n entries in order, recording which entries
// they are (not the rest of the collection).
func (c *Collection[T]) Latest(ctx *Ctx, n int) []*Entry[T] {
	st := c.state(ctx.rec.Build)
	list := st.entries[:min(max(n, 0), len(st.entries))]
	ctx.rec.ReadFact(c.tag(), firstField(n), idsVersion(list))
	return views(list, ctx.rec)
}

// Len reports how many entries the collection has, recording the count.
func (c *Collection[T]) Len(ctx *Ctx) int {
	st := c.state(ctx.rec.Build)
	ctx.rec.ReadFact(c.tag(), fieldLen, countVersion(len(st.entries)))
	return len(st.entries)
}

// Neighbors returns the entries before and after e in the collection's
// order (nil at either end), for "previous / next" links. It records
// which entries those are, not the rest of the collection.
func (c *Collection[T]) Neighbors(ctx *Ctx, e *Entry[T]) (prev, next *Entry[T]) {
	st := c.state(ctx.rec.Build)
	p, n, _ := st.neighbors(e.d.id)
	ctx.rec.ReadFact(c.tag(), nearField(e.d.id), idsVersion([]*entry[T]{p, n}))
	if p != nil {
		prev = p.view(ctx.rec)
	}
	if n != nil {
		next = n.view(ctx.rec)
	}
	return prev, next
}

// Get returns the entry with the given ID ("about", "2024/recap"), recording
// that it exists; a missing ID is an error naming the collection.
func (c *Collection[T]) Get(ctx *Ctx, id string) (*Entry[T], error) {
	st := c.state(ctx.rec.Build)
	e, ok := st.byID[id]
	if !ok {
		// Depend on membership so the page is redone when the entry appears.
		ctx.rec.Read(c.tag(), st.version)
		return nil, fmt.Errorf("collection %q has no entry %q (looked for content/%s)", c.name, id, path.Join(c.name, id)+".md")
	}
	ctx.rec.ReadFact(e.tagName, fieldID, engine.Hash(e.id))
	return e.view(ctx.rec), nil
}

// load reads the collection's files in parallel and records every bad file
// in errs, so one run reports them all.
func (c *Collection[T]) load(b *engine.Build, errs *diag.List) {
	c.loadReusing(b, nil, nil, errs)
}

// reload is load for the dev server: when no changed path (see
// engine.ChangeSet) touches the collection, old's state is taken as it is;
// otherwise only the files that changed are read again, and every other
// entry, its rendered Markdown included, is reused.
func (c *Collection[T]) reload(b, old *engine.Build, ch *engine.ChangeSet, errs *diag.List) {
	prev, _ := old.State(c.src).(*collState[T])
	switch {
	case prev == nil:
		c.load(b, errs)
	case !ch.Touches(c.dir(b)):
		b.SetState(c.src, prev)
	default:
		c.loadReusing(b, prev, ch, errs)
	}
}

// loadReusing loads the collection, reusing prev's entry for every file
// that ch does not mark as changed (prev nil: none).
func (c *Collection[T]) loadReusing(b *engine.Build, prev *collState[T], ch *engine.ChangeSet, errs *diag.List) {
	dir := c.dir(b)
	files, ok := c.patchFiles(dir, prev, ch)
	if !ok {
		var err error
		if files, err = c.listFiles(dir); err != nil && !os.IsNotExist(err) {
			errs.AddErr(relPath(b.Root, dir), err)
		}
	}
	changed := ch.Has
	if ok {
		// Only files changed, so a file's ancestors need no look.
		changed = func(p string) bool { return ch.Paths[p] }
	}
	// Take what prev has of unchanged files, then read the rest in
	// parallel: on an edit, that is one file of thousands.
	entries := make([]*entry[T], len(files))
	reloaded := make([]bool, len(files))
	var load []int
	for i, f := range files {
		if prev != nil && !changed(f) {
			if e := prev.files[f]; e != nil {
				entries[i] = e
				continue
			}
		}
		reloaded[i] = true
		load = append(load, i)
	}
	engine.Parallel(len(load), func(k int) {
		i := load[k]
		e, err := c.loadEntry(b, files[i])
		if err != nil {
			errs.AddErr(relPath(b.Root, files[i]), err)
			return
		}
		entries[i] = e
	})
	st := &collState[T]{fileList: files}
	keep := func(e *entry[T]) bool { return e != nil && (!e.draft || perBuild(b).cfg.Build.Drafts) }
	var came []*entry[T]
	if ok {
		came = c.patch(st, prev, ch, entries, reloaded, keep)
	} else {
		st.files = make(map[string]*entry[T], len(entries))
		for i, e := range entries {
			if e != nil {
				st.files[files[i]] = e
			}
		}
		for _, e := range entries {
			if keep(e) {
				st.entries = append(st.entries, e)
			}
		}
		slices.SortFunc(st.entries, c.order)
		st.byID = make(map[string]*entry[T], len(st.entries))
		for _, e := range st.entries {
			st.byID[e.id] = e
		}
	}
	ids := make([]byte, 0, len(st.entries)*16)
	for _, e := range st.entries {
		ids = append(ids, e.id...)
		ids = append(ids, 0)
	}
	sum := sha256.Sum256(ids)
	st.version = hex.EncodeToString(sum[:12])
	if ok {
		c.patchVersions(st, prev, came)
	}
	b.SetState(c.src, st)
}

// dir is the collection's directory under content/.
func (c *Collection[T]) dir(b *engine.Build) string {
	return inDir(filepath.Join(b.Root, "content"), c.name)
}

func (c *Collection[T]) loadEntry(b *engine.Build, file string) (*entry[T], error) {
	src, err := rawfile.ReadFile(file)
	if err != nil {
		return nil, err
	}
	rel := relPath(b.Root, file)
	fm, err := splitFrontMatter(rel, src)
	if err != nil {
		return nil, err
	}
	var common commonMeta
	e := &entry[T]{coll: c.name, file: rel, fmFormat: fm.format, fmRaw: fm.raw}
	e.b, e.body = b, fm.body
	if b.Streaming {
		// The front matter's text outlives the file's bytes, which go
		// once the body is converted.
		e.fmRaw = bytes.Clone(fm.raw)
	}
	if err := decodeFrontMatter(rel, fm, &common, &e.meta); err != nil {
		return nil, err
	}
	inColl, _ := filepath.Rel(c.dir(b), file)
	e.id = strings.TrimSuffix(filepath.ToSlash(inColl), ".md")
	e.tagName = engine.MakeTag("e", e.coll+"/"+e.id)
	e.slug = cmp.Or(common.Slug, path.Base(e.id))
	e.title, e.date, e.lastmod = common.Title, common.Date.Time, common.Lastmod.Time
	if e.lastmod.IsZero() {
		e.lastmod = common.Date.Time
	}
	e.draft, e.tags, e.weight, e.summary = common.Draft, common.Tags, common.Weight, common.Summary
	sum := sha256.Sum256(src)
	e.version = hex.EncodeToString(sum[:12])
	e.bodyVer = engine.HashBytes(fm.body)
	e.bare = &Entry[T]{d: e}
	if c.permalink != "" {
		e.url = expandPermalink(c.permalink, e)
	}
	e.initVersions()
	return e, nil
}

// inDir is where the slash-separated path p (a URL path such as
// "/posts/a/index.html" or a relative one such as "_verge/state.json")
// lies under dir.
func inDir(dir, p string) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
}

// relPath is p relative to root, slash-separated, for messages.
func relPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}
