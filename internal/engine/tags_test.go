package engine

import (
	"strings"
	"testing"
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
