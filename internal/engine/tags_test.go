package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

func TestMakeTag(t *testing.T) {
	for _, tc := range []struct{ kind, name, want string }{
		{"e", "posts/Hello-World", "e:posts/hello-world"},
		{"t", "tags/go", "t:tags/go"},
		{"e", "posts/with space", "e:#"},
		{"e", "posts/" + strings.Repeat("x", 200), "e:#"},
		{"e", "posts/a,b", "e:#"},
		{"d", "naïve", "d:#"},
	} {
		got := MakeTag(tc.kind, tc.name)
		if !strings.HasPrefix(got, tc.want) || len(got) > maxTagLen || !validTag(got) {
			t.Errorf("MakeTag(%q, %q) = %q, want prefix %q", tc.kind, tc.name, got, tc.want)
		}
	}
	if MakeTag("e", "a b") == MakeTag("e", "a c") {
		t.Error("hashed tags collide")
	}
}

func TestHeaderTagsCollapseBeyondTheLimit(t *testing.T) {
	small := []string{"c:posts", "e:posts/a", "site"}
	if headerTags(small, nil) != nil {
		t.Error("tags that fit were changed")
	}
	var tags []string
	collOf := map[string]string{}
	for i := range 2000 {
		e := fmt.Sprintf("e:posts/2024/post-%05d", i)
		tags = append(tags, e)
		collOf[e] = "c:posts"
	}
	tags = append(tags, "d:nav", "site")
	got := headerTags(tags, collOf)
	joined := strings.Join(got, ",")
	if len(joined) > manifest.MaxCacheTagHeader {
		t.Fatalf("collapsed header is %d bytes", len(joined))
	}
	for _, want := range []string{"site", "c:posts", "d:nav"} {
		if !strings.Contains(","+joined+",", ","+want+",") {
			t.Errorf("collapsed tags %v lack %q", got, want)
		}
	}
}
