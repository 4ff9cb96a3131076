package site

import (
	"encoding/json"
	"os"

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
	addVersions(b *buildState, into map[string]string)
}

// versions is every tag this build knows and its version, computed once.
func (b *buildState) versions() map[string]string {
	b.versionsOnce.Do(func() {
		v := map[string]string{SiteTag: b.siteVersion}
		for _, st := range b.loaderList {
			if vl, ok := st.(versioned); ok {
				vl.addVersions(b, v)
			}
		}
		if b.assets.res != nil {
			for _, f := range b.assets.res.Files {
				if f.Source != "" {
					v[assetTag(f)] = b.assets.version(f)
				}
			}
		}
		b.versionMap = v
	})
	return b.versionMap
}

// collectionTags maps every entry tag to its collection's tag.
func (b *buildState) collectionTags() map[string]string {
	b.versions() // fills collectionOf
	return b.collectionOf
}

func (c *Collection[T]) addVersions(b *buildState, into map[string]string) {
	st := c.state(b)
	ctag := c.tag()
	into[ctag] = st.version
	for _, e := range st.entries {
		into[e.tag()] = e.version
		b.collectionOf[e.tag()] = ctag
	}
}

func (t *Taxonomy[T]) addVersions(b *buildState, into map[string]string) {
	ts := t.state(b)
	into[t.tag()] = ts.version
	for _, term := range ts.terms {
		into[termTag(t.name, term.Slug)] = term.version
	}
}

func (d *DataFile[T]) addVersions(b *buildState, into map[string]string) {
	into[makeTag("d", d.name)] = b.states[d].(*dataState[T]).version
}
