package deploy

// An editor names the content file they changed (or a content tag);
// purging what shows it takes the pages that read it, which the live
// manifest's Tags say, purged by their page tags (pages carry no content
// tags in Cache-Tag), and the function responses that read it, by the
// tag in the function namespace. Which content tag a file is depends on
// how the site's code split content into collections, so each candidate
// the site gives (Site.FileTags) is tried against the live manifest, and
// the one pages read is purged.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/manifest"
)

// EditorPurge is what an editor's purge of content comes to: the page
// tags (and URLs) that reach exactly the live pages that read it, and the
// function-namespace tags of the function responses that did.
type EditorPurge struct {
	Tags []string
	URLs []string
}

// ContentTags maps content and data files (paths relative to the site
// dir, or to the working directory) to the purge of what shows them,
// through the live manifest, and says on w what each covers.
func (s *Site) ContentTags(w io.Writer, paths []string) (EditorPurge, error) {
	dir := s.Dir
	live, where := s.liveManifest()
	var content []string
	for _, p := range paths {
		rel, err := siteRel(dir, p)
		if err != nil {
			return EditorPurge{}, err
		}
		cands := s.FileTags(rel)
		if cands == nil {
			return EditorPurge{}, fmt.Errorf("%s is not a content file (content/.../NAME.md) or a data file (data/NAME.yaml): purge by --tag or --url instead", p)
		}
		tag := cands[0]
		for _, c := range cands {
			if len(readers(live, c)) > 0 {
				tag = c
				break
			}
		}
		tags := []string{tag}
		if card, ok := strings.CutPrefix(tag, "e:"); ok {
			// The entry's card: the lists showing its title and summary.
			tags = append(tags, "m:"+card)
		}
		content = append(content, tags...)
		urls := readers(live, tags...)
		switch {
		case live == nil:
			fmt.Fprintf(w, "%s: tag %s (no live version to find its pages in)\n", rel, tag)
		case len(urls) == 0:
			fmt.Fprintf(w, "%s: tag %s, read by no page of %s (function responses that read it are purged)\n", rel, tag, where)
		default:
			fmt.Fprintf(w, "%s: tag %s, read by %d pages of %s\n", rel, tag, len(urls), where)
		}
	}
	return s.purgeContent(live, content), nil
}

// ExpandTags is the purge an editor's --tag list comes to: a content tag
// ("e:posts/a", "d:nav", "site") purges the live pages whose Tags hold
// it, by their page tags, and the function responses that read it; page
// tags and function tags go as given. It says on w what each reaches.
func (s *Site) ExpandTags(w io.Writer, tags []string) EditorPurge {
	live, where := s.liveManifest()
	var content, direct []string
	for _, t := range tags {
		if manifest.IsPageTag(t) || strings.HasPrefix(t, manifest.FuncPrefix) {
			direct = append(direct, t)
			continue
		}
		content = append(content, t)
		if live != nil {
			fmt.Fprintf(w, "tag %s: read by %d pages of %s\n", t, len(readers(live, t)), where)
		} else {
			fmt.Fprintf(w, "tag %s: no live version to find the pages that read it in; purging the function responses that did\n", t)
		}
	}
	p := s.purgeContent(live, content)
	p.Tags = append(p.Tags, direct...)
	return p
}

// purgeContent is the purge of the live pages that read any of the
// content tags, and of the function responses that did.
func (s *Site) purgeContent(live *manifest.Manifest, content []string) EditorPurge {
	var p EditorPurge
	if live != nil {
		if urls := readers(live, content...); len(urls) > 0 {
			p.Tags, p.URLs = cachepurge.Cover(live, urls)
		}
	}
	for _, t := range content {
		p.Tags = append(p.Tags, manifest.FuncTag(t))
	}
	return p
}

// readers are the URLs of the pages of m that read one of tags (their
// manifest Tags hold it).
func readers(m *manifest.Manifest, tags ...string) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, f := range m.Files {
		if slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(f.Tags, t) }) {
			out = append(out, f.URL())
		}
	}
	return out
}

// siteRel makes p relative to the site dir: as given when it is already
// (content/posts/x.md), else from the working directory.
func siteRel(dir, p string) (string, error) {
	if !filepath.IsAbs(p) {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil || strings.HasPrefix(filepath.ToSlash(p), "content/") || strings.HasPrefix(filepath.ToSlash(p), "data/") {
			return filepath.ToSlash(filepath.Clean(p)), nil
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%s is outside the site in %s", p, dir)
	}
	return filepath.ToSlash(rel), nil
}

// liveManifest is the manifest of what is live, and where it was found:
// the local store's active version, else the last build deployed to
// Cloudflare from here, else the last build.
func (s *Site) liveManifest() (*manifest.Manifest, string) {
	storeDir := s.StoreDir()
	if _, err := os.Stat(storeDir); err != nil {
		// No local deploys: do not make an empty store by looking.
	} else if st, err := edge.OpenStore(storeDir); err == nil {
		if id, err := st.Active(); err == nil && id != "" {
			if v, err := st.Version(id); err == nil {
				return v.Manifest, "the live version " + id
			}
		}
	}
	if rec, id := latestCloudflareRecord(s.Layout); rec != nil {
		return rec.Manifest, "the version deployed to Cloudflare, " + id
	}
	if out, err := s.Output(""); err == nil {
		if m, err := manifest.Read(out); err == nil {
			return m, "the last build (nothing deployed from here)"
		}
	}
	return nil, ""
}
