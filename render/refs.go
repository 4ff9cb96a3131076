package render

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
)

// urlAttrs are the attributes whose values are URLs a page depends on.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "data": true}

// EmptyRefError is an empty src or href: browsers request the page itself
// for it (YSlow's "avoid empty src or href").
type EmptyRefError struct {
	Tag, Attr string
	Line      int
}

func (e *EmptyRefError) Error() string {
	return fmt.Sprintf("line %d: empty %s on <%s>", e.Line, e.Attr, e.Tag)
}

// rewriteAttr replaces the value inside a raw attribute token.
func rewriteAttr(raw, quotedVal []byte, newVal string) []byte {
	i := bytes.LastIndex(raw, quotedVal)
	if i < 0 {
		return raw
	}
	nb := make([]byte, 0, len(raw)+len(newVal))
	nb = append(nb, raw[:i]...)
	nb = append(nb, '"')
	nb = append(nb, strings.NewReplacer("&", "&amp;", `"`, "&quot;").Replace(newVal)...)
	nb = append(nb, '"')
	return append(nb, raw[i+len(quotedVal):]...)
}

func unquote(v []byte) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return string(v)
}

// internalLink resolves ref against the page's route if it points inside
// the site (an absolute path or a relative one); external URLs, fragments
// and special schemes are not checked.
func internalLink(route, ref, attr string) (Link, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || ref[0] == '#' || strings.HasPrefix(ref, "//") {
		return Link{}, false
	}
	// Most links are plain absolute paths: no need to parse those.
	if ref[0] == '/' && !strings.ContainsAny(ref, "?#%:\\") && !strings.Contains(ref, "/.") {
		return Link{URL: ref, Path: ref, Attr: attr}, true
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return Link{}, false
	}
	// Resolved as a browser would: from /posts/a/, ".." is /posts/.
	p := (&url.URL{Path: route}).ResolveReference(&url.URL{Path: u.Path}).Path
	return Link{URL: ref, Path: p, Attr: attr}, true
}
