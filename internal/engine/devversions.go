package engine

// This file holds the tag versions of a dev build, kept per source so a
// rebuild compares only what changed.

import "github.com/vergehq/verge/assets"

// versionSet is the tag versions of a dev build, kept in one part per
// loaded state rather than merged into one map: a rebuild shares the
// parts of the states that did not change, and comparing two builds
// skips them, so an edit to one post costs a look at one collection's
// tags, not at every tag of the site.
type versionSet struct {
	site  string // the version of SiteTag
	parts []versionPart
}

// versionPart is the tags of one loaded state (or of the asset outputs).
type versionPart struct {
	state any // the state the versions are of: equal states, equal versions
	m     map[string]string
}

// devVersions returns the tag versions of b, reusing old's asset part
// when the assets were not rebuilt (old may be nil).
func devVersions(b *Build, old *versionSet, oldAssets *assets.Result) *versionSet {
	v := &versionSet{site: b.SiteVersion}
	for _, l := range b.loaders {
		if vl, ok := l.(Versioned); ok {
			v.parts = append(v.parts, versionPart{state: b.states[l], m: vl.TagVersions(b)})
		}
	}
	if old != nil && oldAssets == b.Assets.Res && len(old.parts) == len(v.parts)+1 {
		v.parts = append(v.parts, old.parts[len(old.parts)-1])
	} else {
		v.parts = append(v.parts, versionPart{state: b.Assets.Res, m: b.assetVersions()})
	}
	return v
}

// get returns the version of tag, and whether the build knows the tag.
func (v *versionSet) get(tag string) (string, bool) {
	if tag == SiteTag {
		return v.site, true
	}
	for _, p := range v.parts {
		if ver, ok := p.m[tag]; ok {
			return ver, true
		}
	}
	return "", false
}

// changed calls fn for every tag of v whose version differs in nb, or
// that nb does not know.
func (v *versionSet) changed(nb *versionSet, fn func(tag string)) {
	if v.site != nb.site {
		fn(SiteTag)
	}
	if len(v.parts) != len(nb.parts) {
		// Not the same site program: compare tag by tag.
		for _, p := range v.parts {
			for t, ver := range p.m {
				if now, ok := nb.get(t); !ok || now != ver {
					fn(t)
				}
			}
		}
		return
	}
	for i, p := range v.parts {
		q := nb.parts[i]
		if p.state == q.state {
			continue
		}
		if d, ok := q.state.(DeltaState); ok {
			if tags, ok := d.Delta(p.state); ok {
				for _, t := range tags {
					if ver, ok := p.m[t]; ok {
						if now, ok := q.m[t]; !ok || now != ver {
							fn(t)
						}
					}
				}
				continue
			}
		}
		for t, ver := range p.m {
			if now, ok := q.m[t]; !ok || now != ver {
				fn(t)
			}
		}
	}
}
