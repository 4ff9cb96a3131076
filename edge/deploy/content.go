package deploy

// An editor names the content file they changed; purging what shows it
// takes the tag a page that read it carries. Which tag that is depends
// on how the site's code split content into collections, so each
// candidate the site gives (Site.FileTags) is tried against the live
// manifest, and the one pages carry is purged.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/manifest"
)

// ContentTags maps content and data files (paths relative to the site
// dir, or to the working directory) to the tags that purge what shows
// them, through the live manifest, and says on w what each covers.
func (s *Site) ContentTags(w io.Writer, paths []string) ([]string, error) {
	dir := s.Dir
	live, where := s.liveManifest()
	var out []string
	for _, p := range paths {
		rel, err := siteRel(dir, p)
		if err != nil {
			return nil, err
		}
		cands := s.FileTags(rel)
		if cands == nil {
			return nil, fmt.Errorf("%s is not a content file (content/.../NAME.md) or a data file (data/NAME.yaml): purge by --tag or --url instead", p)
		}
		tag, urls := cands[0], 0
		for _, c := range cands {
			if n := coveredURLs(live, c); n > 0 {
				tag, urls = c, n
				break
			}
		}
		out = append(out, tag)
		if card, ok := strings.CutPrefix(tag, "e:"); ok {
			// The entry's card: the lists showing its title and summary.
			out = append(out, "m:"+card)
			urls += coveredURLs(live, "m:"+card)
		}
		switch {
		case live == nil:
			fmt.Fprintf(w, "%s: tag %s (no live version to count its pages in)\n", rel, tag)
		case urls == 0:
			fmt.Fprintf(w, "%s: tag %s, on no page of %s (function responses that read it still carry it)\n", rel, tag, where)
		default:
			fmt.Fprintf(w, "%s: tag %s, on %d URLs of %s (with the lists showing it)\n", rel, tag, urls, where)
		}
	}
	return out, nil
}

// SayCoverage says on w how many URLs of the live version each tag covers.
func (s *Site) SayCoverage(w io.Writer, tags []string) {
	live, where := s.liveManifest()
	if live == nil {
		return
	}
	for _, t := range tags {
		fmt.Fprintf(w, "tag %s: on %d URLs of %s\n", t, coveredURLs(live, t), where)
	}
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

// coveredURLs counts the URLs of m whose Cache-Tag carries tag.
func coveredURLs(m *manifest.Manifest, tag string) int {
	if m == nil {
		return 0
	}
	n := 0
	for _, f := range m.Files {
		if slices.Contains(f.HeaderTags(), tag) {
			n++
		}
	}
	return n
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
