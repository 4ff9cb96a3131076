package engine

// This file holds the previous build to disk, as the next one reuses it,
// and the tag versions that prove a page unchanged.

import (
	"maps"
	"os"

	"github.com/vergehq/verge/internal/manifest"
)

// previous is the last successful build in the output directory.
type previous struct {
	dir      string
	m        *manifest.Manifest
	versions map[string]string
	facts    map[string][]byte // by route, encoded (see factsfile.go)
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
	versions := manifest.ReadTagVersions(out)
	facts := readFactsFile(out)
	if versions == nil || facts == nil {
		return nil
	}
	p := &previous{dir: out, m: m, versions: versions, facts: facts, byRoute: map[string]*manifest.File{}}
	for i := range m.Files {
		if f := &m.Files[i]; f.Route != "" {
			p.byRoute[f.Route] = f
		}
	}
	return p
}

// reusable returns the previous build's file for route, and its record
// of the facts it was rendered from (still encoded), if every fact still
// has the same version and the file is still on disk as recorded;
// otherwise nil.
func (p *previous) reusable(b *Build, route string) (*manifest.File, []byte) {
	if p == nil {
		return nil, nil
	}
	f, raw := p.byRoute[route], p.facts[route]
	if f == nil || raw == nil {
		return nil, nil
	}
	facts := decodeRecord(raw)
	if facts == nil || !stillHold(b, facts, p.was, b.now) {
		return nil, nil
	}
	return p.onDisk(f), raw
}

// was is the version a tag had in the previous build.
func (p *previous) was(tag string) (string, bool) {
	v, ok := p.versions[tag]
	return v, ok
}

// now is the version a tag has in b.
func (b *Build) now(tag string) (string, bool) {
	v, ok := b.versions()[tag]
	return v, ok
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

// versions is every tag this build knows and its version, computed once.
func (b *Build) versions() map[string]string {
	b.versionsOnce.Do(func() {
		v := map[string]string{SiteTag: b.SiteVersion}
		for _, l := range b.loaders {
			if vl, ok := l.(Versioned); ok {
				maps.Copy(v, vl.TagVersions(b))
			}
		}
		maps.Copy(v, b.assetVersions())
		b.versionMap = v
	})
	return b.versionMap
}

// assetVersions is the tags of the build's asset outputs that have a
// source, and their versions.
func (b *Build) assetVersions() map[string]string {
	v := map[string]string{}
	if b.Assets.Res != nil {
		for _, f := range b.Assets.Res.Files {
			if f.Source != "" {
				v[AssetTag(f)] = b.Assets.Version(f)
			}
		}
	}
	return v
}
