package manifest

import (
	"slices"
	"strings"
	"testing"
)

func TestPageTags(t *testing.T) {
	long := "/docs/" + strings.Repeat("x", 200) + "/"
	deep := strings.Repeat("/d", 100) + "/"
	for _, tc := range []struct {
		route string
		want  []string // nil: only the bounds are checked
	}{
		{"/", []string{"page:/", "tree:/", "kind:html"}},
		{"/docs/functions/len/", []string{"page:/docs/functions/len/", "tree:/", "tree:/docs/", "tree:/docs/functions/",
			"tree:/docs/functions/len/", "kids:/docs/functions/", "kind:html"}},
		{"/index.xml", []string{"page:/index.xml", "tree:/", "kids:/", "kind:xml"}},
		{"/posts/feed", []string{"page:/posts/feed", "tree:/", "tree:/posts/", "kids:/posts/", "kind:file"}},
		{"/Posts/A/", nil},
		{long, nil},
		{deep, nil},
		{"/with space/", nil},
	} {
		got := PageTags(tc.route)
		if tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("PageTags(%q) = %v, want %v", tc.route, got, tc.want)
		}
		if n := len(strings.Join(got, ",")); n > 32*(MaxTagLen+1)+4*(MaxTagLen+1) || n > MaxCacheTagHeader/3 {
			t.Errorf("PageTags(%.40q) is %d bytes", tc.route, n)
		}
		for _, tag := range got {
			if len(tag) > MaxTagLen || !IsPageTag(tag) || strings.ToLower(tag) != tag || strings.ContainsAny(tag, " ,") {
				t.Errorf("PageTags(%.40q) has tag %q", tc.route, tag)
			}
		}
		if got[0] != PageTag(tc.route) {
			t.Errorf("PageTags(%q)[0] = %q, PageTag %q", tc.route, got[0], PageTag(tc.route))
		}
	}
	// Routes differing in case have different page tags: CDNs match tags
	// case-insensitively.
	if PageTag("/Posts/A/") == PageTag("/posts/a/") || PageTag("/Posts/A/") == PageTag("/posts/A/") {
		t.Error("page tags of routes differing in case collide")
	}
}

func TestFuncTag(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"e:posts/a", "fn:e:posts/a"},
		{"site", "fn:site"},
		{"fn:site", "fn:site"},
	} {
		if got := FuncTag(tc.in); got != tc.want {
			t.Errorf("FuncTag(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if long := FuncTag("e:" + strings.Repeat("y", 130)); len(long) > MaxTagLen || !strings.HasPrefix(long, FuncPrefix) || IsPageTag(long) {
		t.Errorf("FuncTag of a long tag = %q", long)
	}
}
