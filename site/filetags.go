package site

import (
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/engine"
)

// SiteTag is carried by every page and function response: it stands for
// what every output depends on (config, templates, code).
const SiteTag = engine.SiteTag

// FileTags lists the cache tags a site file may stand for, given its path
// relative to the site root: content/DIR/ID.md is entry ID of the
// collection in DIR (which directory is the collection's is for the
// site's code to say, so every split is listed), data/NAME.EXT is data
// file NAME. Pages and function responses that read the file carry one
// of these (whatever part of it they read); nil for other paths.
func FileTags(rel string) []string {
	rel = filepath.ToSlash(filepath.Clean(rel))
	switch {
	case strings.HasPrefix(rel, "content/") && strings.HasSuffix(rel, ".md"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(rel, "content/"), ".md"), "/")
		var out []string
		for i := len(parts) - 1; i >= 0; i-- {
			out = append(out, engine.MakeTag("e", strings.Join(parts[:i], "/")+"/"+strings.Join(parts[i:], "/")))
		}
		return out
	case strings.HasPrefix(rel, "data/"):
		name := strings.TrimPrefix(rel, "data/")
		return []string{engine.MakeTag("d", strings.TrimSuffix(name, filepath.Ext(name)))}
	}
	return nil
}
