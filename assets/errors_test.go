package assets

import (
	"context"
	"strings"
	"testing"
)

// want is one expected diagnostic; msg is a substring.
type want struct {
	file      string
	line, col int
	msg       string
	hint      bool
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		entries []string
		want    []want
	}{
		{
			name:  "invalid JS",
			files: map[string]string{"assets/js/app.js": "const ok = 1;\nlet x = ;\n"},
			want:  []want{{"assets/js/app.js", 2, 9, `Unexpected ";"`, false}},
		},
		{
			name:  "invalid TS in a partial",
			files: map[string]string{"assets/js/app.ts": "import './_x';\n", "assets/js/_x.ts": "\n\nfunction (a: number {}\n"},
			want:  []want{{"assets/js/_x.ts", 3, 10, "Expected", false}},
		},
		{
			name:  "unclosed CSS block",
			files: map[string]string{"assets/css/main.css": "a { color: red; }\nb { color: red\n"},
			want:  []want{{"assets/css/main.css", 3, 1, `Expected "}"`, true}},
		},
		{
			name:  "empty CSS value",
			files: map[string]string{"assets/css/main.css": ":root { --empty:; }\n.x {\n  color: ;\n}\n"},
			want:  []want{{"assets/css/main.css", 3, 3, `Expected a value for "color"`, true}},
		},
		{
			name:  "CSS unexpected token",
			files: map[string]string{"assets/css/main.css": "a { color: red; } }\n"},
			want:  []want{{"assets/css/main.css", 1, 19, "Unexpected", false}},
		},
		{
			name:  "JS comment in CSS",
			files: map[string]string{"assets/css/main.css": "// nav\n.nav { color: red; }\n"},
			want:  []want{{"assets/css/main.css", 1, 1, "Comments in CSS", true}},
		},
		{
			name:  "late @import",
			files: map[string]string{"assets/css/main.css": "a { color: red; }\n@import './_b.css';\n", "assets/css/_b.css": "b{}"},
			want:  []want{{"assets/css/main.css", 2, 1, "@import", true}},
		},
		{
			name:  "unresolved JS import",
			files: map[string]string{"assets/js/app.js": "import { x } from './_nope.js';\nconsole.log(x);\n"},
			want:  []want{{"assets/js/app.js", 1, 19, `Could not resolve "./_nope.js"`, true}},
		},
		{
			name:  "unresolved CSS import and url",
			files: map[string]string{"assets/css/main.css": "@import './_missing.css';\na { background: url(../img/none.png); }\n"},
			want: []want{
				{"assets/css/main.css", 1, 9, `Could not resolve "./_missing.css"`, true},
				{"assets/css/main.css", 2, 17, `Could not resolve "../img/none.png"`, true},
			},
		},
		{
			name:    "missing explicit entry",
			files:   map[string]string{"assets/css/main.css": "a{}"},
			entries: []string{"css/main.css", "js/gone.js"},
			want:    []want{{"assets/js/gone.js", 0, 0, `entry point "js/gone.js" not found`, true}},
		},
		{
			name: "several files at once",
			files: map[string]string{
				"assets/js/a.js":      "var 1x = 2;\n",
				"assets/js/b.ts":      "const b: number = ;\n",
				"assets/css/c.css":    "p { margin: 0\n",
				"assets/css/ok.css":   "p { margin: 0 }\n",
				"static/_assets/x.js": "collides with nothing",
			},
			want: []want{
				{"assets/css/c.css", 2, 1, `Expected "}"`, true},
				{"assets/js/a.js", 1, 6, `Syntax error "x"`, false},
				{"assets/js/b.ts", 1, 19, `Unexpected ";"`, false},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := siteOptions(writeTree(t, tc.files))
			opts.Entries = tc.entries
			_, err := Build(context.Background(), opts)
			if err == nil {
				t.Fatal("no error")
			}
			got := diagnostics(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				d := got[i]
				if d.File != w.file || d.Line != w.line || d.Col != w.col || !strings.Contains(d.Msg, w.msg) || (d.Hint != "") != w.hint {
					t.Errorf("diagnostic %d = %s:%d:%d %q (hint %q), want %s:%d:%d %q (hint %v)",
						i, d.File, d.Line, d.Col, d.Msg, d.Hint, w.file, w.line, w.col, w.msg, w.hint)
				}
			}
		})
	}
}

func TestStaticCollision(t *testing.T) {
	root := writeTree(t, map[string]string{"assets/img/a.png": "png"})
	r := mustBuild(t, siteOptions(root))
	taken := mustLookup(t, r, "img/a.png").Path
	writeFiles(t, root, map[string]string{"static" + taken: "other", "static/ok.txt": "ok"})
	_, err := Build(context.Background(), siteOptions(root))
	got := diagnostics(t, err)
	if len(got) != 1 || got[0].File != "static"+taken || !strings.Contains(got[0].Msg, taken) || !strings.Contains(got[0].Msg, "assets/img/a.png") {
		t.Errorf("diagnostics = %v", err)
	}
}

func TestWarningsDoNotFail(t *testing.T) {
	root := writeTree(t, map[string]string{"assets/js/app.js": "if (x === -0) console.log(typeof x == 'strng');\n"})
	r := mustBuild(t, siteOptions(root))
	if len(r.Warnings) == 0 {
		t.Fatal("no warnings")
	}
	if w := r.Warnings[0]; w.File != "assets/js/app.js" || w.Line != 1 {
		t.Errorf("warning = %v", w)
	}
}

func TestEmptyValues(t *testing.T) {
	valid := []string{
		":root { --x:; --y: ; }",
		"a:hover, a::before, input:not(:checked) { color: red; }",
		"a { &:hover { color: red } .b & { color: blue; } > p { margin: 0 } }",
		"@media (min-width: 10px) and (hover: hover) { a { b: c } }",
		"@container x (width > 3px) { a { b: c } }",
		"@page :first { margin: 1in; }",
		"a { b: c; @media (x) { d: e } }",
		"a { content: 'x: ;'; background: url(a:b;c) } /* color: ; */",
		"a[href^='http:'] { color: red; }",
		"@supports (display: grid) and (not (display: inline-grid)) { a { display: grid } }",
		"a { grid-template-areas: 'a b' 'c d'; width: calc(100% - 3px); }",
	}
	for _, src := range valid {
		if m := emptyValues("x.css", []byte(src)); len(m) != 0 {
			t.Errorf("%q: false positive %+v", src, m[0].Location)
		}
	}
	invalid := []struct {
		src       string
		line, col int
	}{
		{".x { color: }", 1, 5},
		{".x {\n  margin:;\n}", 2, 2},
		{"a { b: c; d: /* nothing */ }", 1, 10},
		{"a { &:hover { color: } }", 1, 14},
	}
	for _, tc := range invalid {
		m := emptyValues("x.css", []byte(tc.src))
		if len(m) != 1 || m[0].Location.Line != tc.line || m[0].Location.Column != tc.col {
			t.Errorf("%q: got %+v", tc.src, m)
		}
	}
}
