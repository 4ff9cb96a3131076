package manifest

// This file holds what a page's Cache-Tag header carries: tags that name
// pages, not content. A page read entries, collections and data (its
// Tags, which explain and key rebuilds); the CDN sees only where the
// page sits, so that a purge can name exactly the pages whose bytes
// changed, and a whole group of them in one tag when every page of the
// group changed:
//
//	page:/docs/functions/len/   this page alone
//	tree:/  tree:/docs/  tree:/docs/functions/  tree:/docs/functions/len/
//	                            every page at or under that directory
//	kids:/docs/functions/       every page directly in that directory
//	kind:html                   every page of that kind (html, xml, ...)
//
// A route of depth d carries d+4 tags or fewer (at most maxTreeTags
// directories), each at most MaxTagLen bytes: a few hundred bytes
// whatever the page read, far under MaxCacheTagHeader. The tags depend on
// the route alone, so they stay the same from build to build, and a
// purge plan reads from two manifests which pages a tag reaches.
//
// Function responses carry the content tags they read under FuncPrefix
// ("fn:e:posts/a"), a namespace no page carries: purging a function's
// dependency never clears a page, and purging a page never clears a
// function response.

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// Page tag kinds (see the file comment).
const (
	PagePrefix = "page:"
	TreePrefix = "tree:"
	KidsPrefix = "kids:"
	KindPrefix = "kind:"
	// FuncPrefix starts every tag a function response carries.
	FuncPrefix = "fn:"
)

// SiteTag is the content tag of what every page and function response
// depends on (config, templates, code); the engine records it on each.
const SiteTag = "site"

// MaxTagLen is the longest tag Verge sends verbatim; a longer one is
// hashed (Cloudflare takes 1,024; 128 keeps a header of many small).
const MaxTagLen = 128

// maxTreeTags bounds the directories a page names (the shallowest
// ones): a route nested deeper still has its page tag.
const maxTreeTags = 32

// PageTags is the Cache-Tag of the page served at route.
func PageTags(route string) []string {
	tags := []string{spell(PagePrefix, route)}
	dirs := routeDirs(route)
	for i, d := range dirs {
		if i == maxTreeTags {
			break
		}
		tags = append(tags, spell(TreePrefix, d))
	}
	if p := parentDir(route); p != "" {
		tags = append(tags, spell(KidsPrefix, p))
	}
	return append(tags, KindPrefix+pageKind(route))
}

// PageTag is the tag naming the page at route alone.
func PageTag(route string) string { return spell(PagePrefix, route) }

// TreeTag is the tag of every page at or under directory dir ("/docs/").
func TreeTag(dir string) string { return spell(TreePrefix, dir) }

// KidsTag is the tag of every page directly in directory dir.
func KidsTag(dir string) string { return spell(KidsPrefix, dir) }

// KindTag is the tag of every page of the route's kind.
func KindTag(route string) string { return KindPrefix + pageKind(route) }

// FuncTag is the tag a function response carries for content tag t.
func FuncTag(t string) string {
	if strings.HasPrefix(t, FuncPrefix) {
		return t
	}
	if len(FuncPrefix)+len(t) <= MaxTagLen {
		return FuncPrefix + t
	}
	return FuncPrefix + "#" + hashName(t)
}

// IsPageTag reports whether t names pages (as PageTags spells them).
func IsPageTag(t string) bool {
	for _, p := range []string{PagePrefix, TreePrefix, KidsPrefix, KindPrefix} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// routeDirs lists the directories a route is at or under, shallowest
// first: "/docs/a/" gives "/", "/docs/", "/docs/a/"; "/docs/x.xml" gives
// "/", "/docs/".
func routeDirs(route string) []string {
	dirs := []string{"/"}
	for i := 1; i < len(route); i++ {
		if route[i] == '/' {
			dirs = append(dirs, route[:i+1])
		}
	}
	return dirs
}

// parentDir is the directory a route is directly in: "/docs/a/" and
// "/docs/x.xml" are in "/docs/"; "/" is in none ("").
func parentDir(route string) string {
	if route == "/" || route == "" {
		return ""
	}
	d := strings.TrimSuffix(route, "/")
	i := strings.LastIndexByte(d, '/')
	if i < 0 {
		return ""
	}
	return d[:i+1]
}

// pageKind is a page's kind by what its route serves: "html" for a
// directory URL, else the extension ("xml", "txt"), "file" without one.
func pageKind(route string) string {
	if strings.HasSuffix(route, "/") {
		return "html"
	}
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(route), "."))
	if ext == "" || !plainTag(ext) || len(ext) > 16 {
		return "file"
	}
	return ext
}

// spell is prefix+name, or prefix+"#"+hash when the name is too long or
// outside what every CDN takes verbatim and case-insensitively (printable
// ASCII, no spaces, commas or upper case: two routes differing in case
// would otherwise share a tag).
func spell(prefix, name string) string {
	if len(prefix)+len(name) <= MaxTagLen && plainTag(name) {
		return prefix + name
	}
	return prefix + "#" + hashName(name)
}

func hashName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:12])
}

func plainTag(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == ',' || c == '#' || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
