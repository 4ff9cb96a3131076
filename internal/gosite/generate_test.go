package gosite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const helloTempl = "package ui\n\ntempl Hello(name string) {\n\t<p>Hello, { name }!</p>\n}\n"

func TestGenerateWritesOnlyChanges(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ui/hello.templ"), helloTempl)
	out := filepath.Join(dir, "ui/hello_templ.go")

	if n, err := Generate(dir); err != nil || n != 1 {
		t.Fatalf("first Generate = %d, %v; want 1, nil", n, err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{templHeader, "// templ: version: v0.3.977", "package ui", "func Hello(name string) templ.Component"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}

	// Backdate the output so that a rewrite, even of the same bytes, shows.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	// Once without the memo (the comparison with disk must hold alone),
	// once with it.
	forgetMemo(t)
	n, err := Generate(dir)
	if err != nil || n != 0 {
		t.Fatalf("second Generate = %d, %v; want 0, nil", n, err)
	}
	if n, err := Generate(dir); err != nil || n != 0 {
		t.Fatalf("third Generate = %d, %v; want 0, nil", n, err)
	}
	if fi, err := os.Stat(out); err != nil || !fi.ModTime().Equal(old) {
		t.Fatalf("unchanged output was touched: %v %v", fi.ModTime(), err)
	}

	// An edit is picked up, and so is a damaged output file.
	writeFile(t, filepath.Join(dir, "ui/hello.templ"), strings.Replace(helloTempl, "Hello,", "Hi,", 1))
	if n, err := Generate(dir); err != nil || n != 1 {
		t.Fatalf("Generate after edit = %d, %v; want 1, nil", n, err)
	}
	writeFile(t, out, "package ui\n")
	if n, err := Generate(dir); err != nil || n != 1 {
		t.Fatalf("Generate after damage = %d, %v; want 1, nil", n, err)
	}
	if data, _ := os.ReadFile(out); !strings.Contains(string(data), `"<p>Hi, "`) {
		t.Fatalf("output not regenerated:\n%s", data)
	}
}

func TestGenerateSkipsDirsAndRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.templ"), "package main\n\ntempl A() {\n\t<i>a</i>\n}\n")
	// Broken templ files where Generate must not look.
	for _, d := range []string{"dist", "node_modules", "vendor", "testdata", ".cache", "_old", "ui/dist"} {
		writeFile(t, filepath.Join(dir, d, "x.templ"), "package x\n\ntempl X() {\n\t<div>\n}\n")
	}
	// A generated file whose .templ was deleted, and a hand-written one
	// that merely has the suffix.
	writeFile(t, filepath.Join(dir, "gone_templ.go"), templHeader+"\n\npackage main\n")
	writeFile(t, filepath.Join(dir, "mine_templ.go"), "package main\n")

	n, err := Generate(dir)
	if err != nil || n != 2 {
		t.Fatalf("Generate = %d, %v; want 2 (one written, one removed), nil", n, err)
	}
	for path, want := range map[string]bool{
		"a_templ.go": true, "gone_templ.go": false, "mine_templ.go": true,
		"dist/x_templ.go": false, "_old/x_templ.go": false, "ui/dist/x_templ.go": false,
	} {
		if _, err := os.Stat(filepath.Join(dir, path)); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{{
		name: "unclosed expression",
		src:  "package ui\n\ntempl Hello(name string) {\n\t<div>{ name </div>\n}\n",
		want: []wantDiag{{file: "ui/bad.templ", line: 4, col: 9, msg: "missing close brace"}},
	}, {
		name: "unclosed element",
		src:  "package ui\n\ntempl Hello(name string) {\n\t<div>\n\t\t<span>x</div>\n}\n",
		want: []wantDiag{{file: "ui/bad.templ", line: 5, col: 10, msg: "<span>: close tag not found"}},
	}, {
		name: "missing template brace",
		src:  "package ui\n\ntempl Hello(name string) {\n\tif name == \"\" {\n\t\t<p>x</p>\n}\n",
		want: []wantDiag{{file: "ui/bad.templ", line: 7, col: 1, msg: "template closing brace not found"}},
	}, {
		name: "bad signature",
		src:  "package ui\n\ntempl Hello(name string {\n\t<p>x</p>\n}\n",
		want: []wantDiag{{file: "ui/bad.templ", line: 3, col: 1, msg: "invalid templ  declaration"}},
	}, {
		name: "invalid Go in a Go block",
		src:  "package ui\n\nfunc helper( {\n}\n",
		want: []wantDiag{{file: "ui/bad.templ", line: 3, msg: "Go syntax error"}},
	}, {
		name: "no package clause",
		src:  "",
		want: []wantDiag{{file: "ui/bad.templ", line: 1, col: 1, msg: "missing package clause", hint: "package NAME"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "ui/good.templ"), helloTempl)
			writeFile(t, filepath.Join(dir, "ui/bad.templ"), tt.src)
			n, err := Generate(dir)
			checkDiags(t, err, tt.want)
			if n != 1 {
				t.Errorf("Generate wrote %d files, want 1: a bad file must not stop the others", n)
			}
			if _, err := os.Stat(filepath.Join(dir, "ui/bad_templ.go")); err == nil {
				t.Error("bad_templ.go written despite the error")
			}
		})
	}
}

func TestGenerateCollectsAllErrors(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("p%d/bad.templ", i)), "package p\n\ntempl X() {\n\t<div>{ x </div>\n}\n")
	}
	_, err := Generate(dir)
	checkDiags(t, err, []wantDiag{
		{file: "p0/bad.templ", line: 4, col: 9, msg: "missing close brace"},
		{file: "p1/bad.templ", line: 4, col: 9, msg: "missing close brace"},
		{file: "p2/bad.templ", line: 4, col: 9, msg: "missing close brace"},
	})
}

// writeManyTempl writes n templ files of a realistic size into dir.
func writeManyTempl(t testing.TB, dir string, n int) {
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "package p%d\n\nimport \"strings\"\n\n", i%5)
		for c := range 4 {
			fmt.Fprintf(&b, "templ Comp%d_%d(title string, items []string) {\n\t<section class=\"c\">\n\t\t<h2>{ strings.ToUpper(title) }</h2>\n\t\t<ul>\n\t\t\tfor _, it := range items {\n\t\t\t\t<li><a href={ templ.SafeURL(\"/x/\" + it) }>{ it }</a></li>\n\t\t\t}\n\t\t</ul>\n\t\tif len(items) == 0 {\n\t\t\t<p>Nothing yet.</p>\n\t\t}\n\t</section>\n}\n\n", i, c)
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("p%d/f%d.templ", i%5, i)), b.String())
	}
}

func TestGenerateNoChangeIsFast(t *testing.T) {
	dir := t.TempDir()
	writeManyTempl(t, dir, 50)
	if n, err := Generate(dir); err != nil || n != 50 {
		t.Fatalf("Generate = %d, %v", n, err)
	}
	timed := func() time.Duration {
		start := time.Now()
		if n, err := Generate(dir); err != nil || n != 0 {
			t.Fatalf("Generate = %d, %v", n, err)
		}
		return time.Since(start)
	}
	forgetMemo(t)
	full := timed()
	memo := timed()
	t.Logf("no-change Generate of 50 files (200 components): %v memoised, %v regenerating and comparing", memo, full)
}

func BenchmarkGenerateNoChange(b *testing.B) {
	dir := b.TempDir()
	writeManyTempl(b, dir, 50)
	if _, err := Generate(dir); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Generate(dir); err != nil {
			b.Fatal(err)
		}
	}
}
