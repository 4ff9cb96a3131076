package site_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/diag"
)

// TestBadInput builds the valid fixture, breaks it one way per case, and
// checks that the build fails with a located, actionable error and leaves
// the previous output exactly as it was.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string // written over the valid site
		want  []string          // substrings of the error, in any order
	}{
		{
			name:  "malformed YAML front matter",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\ndate: 2024-03-01\ntags: [web\n---\nBody.\n"},
			want:  []string{"content/posts/third.md:", "hint: fix the YAML syntax"},
		},
		{
			name:  "unclosed front matter",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\nBody.\n"},
			want:  []string{"content/posts/third.md:1: front matter opened with \"---\" is never closed"},
		},
		{
			name:  "front matter field of the wrong type",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\ndate: 2024-03-01\nrating: lots\n---\nBody.\n"},
			want:  []string{"content/posts/third.md:4:", "lots", "into int"},
		},
		{
			name:  "bad date",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\ndate: yesterday\n---\nBody.\n"},
			want:  []string{"content/posts/third.md:3:", `cannot parse "yesterday" as a date`},
		},
		{
			name:  "data file that does not fit its Go type",
			files: map[string]string{"data/nav.yaml": "- one\n- two: 2\n"},
			want:  []string{"data/nav.yaml:2:", "hint: fix the data file or its Go type"},
		},
		{
			name:  "malformed data file",
			files: map[string]string{"data/nav.yaml": "- one\n- [two\n"},
			want:  []string{"data/nav.yaml:", "fix the data file"},
		},
		{
			name:  "unknown config key",
			files: map[string]string{"verge.toml": "title = \"T\"\nbase_uri = \"https://x\"\n\n[build]\nminfy = true\n"},
			want:  []string{`verge.toml:2:1: unknown key "base_uri"`, `verge.toml:5:1: unknown key "build.minfy"`, "verge.toml reference"},
		},
		{
			name:  "config value of the wrong type",
			files: map[string]string{"verge.toml": "title = 3\n"},
			want:  []string{"verge.toml:1:"},
		},
		{
			name:  "two routes writing the same path",
			files: map[string]string{"content/posts/dup.md": "---\ntitle: Dup\nslug: first\n---\nSame slug.\n"},
			want:  []string{"route /posts/first/ is produced twice", "content/posts/dup.md", "content/posts/first.md"},
		},
		{
			name:  "missing asset",
			files: map[string]string{"verge.toml": "[params]\ncss = \"css/nope.css\"\n"},
			want:  []string{`asset "css/nope.css" not found`, "site_helpers_test.go:", "hint: add assets/css/nope.css"},
		},
		{
			name:  "internal link to nothing",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\n---\n\nSee [gone](/posts/gone/).\n"},
			want:  []string{"content/posts/third.md:5: page /posts/third/ links to /posts/gone/, which is not in the build (404)"},
		},
		{
			name:  "link that only works through a redirect",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\n---\nSee [about](/about).\n"},
			want:  []string{"content/posts/third.md:4:", "which only exists as /about/", "trailing slash"},
		},
		{
			name:  "asset reference by source path that resolves to nothing",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\n---\n![x](/assets/img/missing.png)\n"},
			want:  []string{"content/posts/third.md:4:", "/assets/img/missing.png", "not in the build"},
		},
		{
			name:  "empty src and href",
			files: map[string]string{"content/posts/third.md": "---\ntitle: Third\n---\n\nA [link]() here.\n"},
			want:  []string{"content/posts/third.md:5: page /posts/third/: empty href on <a>"},
		},
		{
			name:  "invalid JS",
			files: map[string]string{"assets/js/main.js": "document.addEventListener('x', () => {\n  let = ;\n});\n"},
			want:  []string{"assets/js/main.js:2:"},
		},
		{
			name:  "invalid CSS",
			files: map[string]string{"assets/css/main.css": "body {\n  color: red;\n"},
			want:  []string{"assets/css/main.css:"},
		},
		{
			name: "several errors in one run",
			files: map[string]string{
				"content/posts/third.md": "---\ntitle: [\n---\n",
				"content/about.md":       "---\ntitle: About\ndate: nope\n---\n",
				"assets/js/main.js":      "let = ;\n",
			},
			want: []string{"3 errors:", "content/posts/third.md", "content/about.md", "assets/js/main.js"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := extractSite(t, "ok")
			out := filepath.Join(dir, "dist")
			if _, err := build(t, dir, out); err != nil {
				t.Fatal(err)
			}
			before := tree(t, out)
			for p, content := range tc.files {
				writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), content)
			}
			_, err := build(t, dir, out)
			if err == nil {
				t.Fatal("build succeeded")
			}
			var l *diag.List
			if !errors.As(err, &l) {
				t.Fatalf("error is %T, not a diagnostics list: %v", err, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			after := tree(t, out)
			if len(after) != len(before) {
				t.Fatalf("output changed: %d files, was %d", len(after), len(before))
			}
			for p, data := range before {
				if after[p] != data {
					t.Errorf("failed build changed %s", p)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".dist.tmp-*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary output left behind: %v", leftovers)
			}
		})
	}
}
