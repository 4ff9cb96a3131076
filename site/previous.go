package site

import (
	"encoding/json"
	"maps"
	"os"
	"sync/atomic"

	"github.com/vergehq/verge/internal/manifest"
)

// versionsPath holds, beside the manifest, the version of every tag the
// build knew. A page is unchanged when every tag it recorded still has the
// version it had: that is the proof an incremental build relies on.
const versionsPath = "_verge/versions.json"

// previous is the last successful build in the output directory.
type previous struct {
	dir      string
	m        *manifest.Manifest
	versions map[string]string
	byRoute  map[string]*manifest.File
}

// loadPrevious reads the previous build, or returns nil when there is none
// usable (or force is set); nil simply means every page is rendered.
func loadPrevious(out string, force bool) *previous {
	if force || pending(out) {
		return nil
	}
	m, err := manifest.Read(out)
	if err != nil {
		return nil
	}
	data, err := os.ReadFile(inDir(out, versionsPath))
	if err != nil {
		return nil
	}
	p := &previous{dir: out, m: m, byRoute: map[string]*manifest.File{}}
	if json.Unmarshal(data, &p.versions) != nil {
		return nil
	}
	for i := range m.Files {
		if f := &m.Files[i]; f.Route != "" {
			p.byRoute[f.Route] = f
		}
	}
	return p
}

// reusable returns the previous build's file for route if every tag it
// recorded still has the same version and the file is still on disk as
// recorded; otherwise nil.
func (p *previous) reusable(b *buildState, route string) *manifest.File {
	if p == nil {
		return nil
	}
	f := p.byRoute[route]
	if f == nil || len(f.Tags) == 0 {
		return nil
	}
	now := b.versions()
	for _, t := range f.Tags {
		v, ok := now[t]
		if !ok || p.versions[t] != v {
			return nil
		}
	}
	return p.onDisk(f)
}

// unchanged returns the previous build's file for route if it has the
// given content hash and is still on disk; otherwise nil.
func (p *previous) unchanged(route, sha256 string) *manifest.File {
	if p == nil {
		return nil
	}
	if f := p.byRoute[route]; f != nil && f.SHA256 == sha256 {
		return p.onDisk(f)
	}
	return nil
}

// onDisk returns f if its file is still in the previous output with the
// recorded size (someone may have deleted or truncated it), else nil. An
// edit that keeps the size is not noticed: that would take reading every
// file, which is what reuse avoids.
func (p *previous) onDisk(f *manifest.File) *manifest.File {
	st, err := os.Stat(p.path(f))
	if err != nil || st.Size() != f.Size {
		return nil
	}
	return f
}

// path is where f lies in the previous output directory.
func (p *previous) path(f *manifest.File) string {
	return inDir(p.dir, f.Path)
}

// versioned is a loader whose loaded state has tag versions.
type versioned interface {
	// tagVersions returns the tags of the loader's state in b and their
	// versions. The map may be shared with other builds: it is read-only.
	tagVersions(b *buildState) map[string]string
}

// versions is every tag this build knows and its version, computed once.
func (b *buildState) versions() map[string]string {
	b.versionsOnce.Do(func() {
		v := map[string]string{SiteTag: b.siteVersion}
		for _, l := range b.loaderList {
			if vl, ok := l.(versioned); ok {
				maps.Copy(v, vl.tagVersions(b))
			}
			if c, ok := l.(entryOwner); ok {
				c.addOwners(b, b.collectionOf)
			}
		}
		maps.Copy(v, b.assetVersions())
		b.versionMap = v
	})
	return b.versionMap
}

// assetVersions is the tags of the build's asset outputs that have a
// source, and their versions.
func (b *buildState) assetVersions() map[string]string {
	v := map[string]string{}
	if b.assets.res != nil {
		for _, f := range b.assets.res.Files {
			if f.Source != "" {
				v[assetTag(f)] = b.assets.version(f)
			}
		}
	}
	return v
}

// collectionTags maps every entry tag to its collection's tag.
func (b *buildState) collectionTags() map[string]string {
	b.versions() // fills collectionOf
	return b.collectionOf
}

// entryOwner is a loader whose state has entries with a tag of their own.
type entryOwner interface {
	addOwners(b *buildState, into map[string]string)
}

func (c *Collection[T]) addOwners(b *buildState, into map[string]string) {
	ctag := c.tag()
	for _, e := range c.state(b).entries {
		into[e.tag()] = ctag
		into[e.cardTag()] = ctag
	}
}

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

func (c *Collection[T]) tagVersions(b *buildState) map[string]string {
	st := c.state(b)
	return st.vers.get(func(into map[string]string) {
		into[c.tag()] = st.version
		for _, e := range st.entries {
			into[e.tag()] = e.version
			into[e.cardTag()] = e.cardVersion
		}
	})
}

func (t *Taxonomy[T]) tagVersions(b *buildState) map[string]string {
	ts := t.state(b)
	return ts.vers.get(func(into map[string]string) {
		into[t.tag()] = ts.version
		for _, term := range ts.terms {
			into[termTag(t.name, term.Slug)] = term.version
		}
	})
}

func (d *DataFile[T]) tagVersions(b *buildState) map[string]string {
	return map[string]string{makeTag("d", d.name): b.states[d].(*dataState[T]).version}
}
