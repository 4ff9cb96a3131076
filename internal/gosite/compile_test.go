package gosite

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBin runs a compiled site with args and returns its output.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("running %s: %v\n%s", bin, err, out)
	}
	return string(out)
}

// TestCompileCaches builds real sites, runs them, and checks that a second
// Compile with no relevant change does not run go build. It is not parallel:
// it reads the global go build counter.
func TestCompileCaches(t *testing.T) {
	tests := []struct {
		archive string
		args    []string
		want    string
		edit    string // a file whose change must not rebuild
	}{
		{"plain.txtar", []string{"a", "b"}, "plain site: a b\n", "content/posts/hello.md"},
		{"templ.txtar", []string{"Verge"}, `<p class="greeting">Hello, Verge!</p>`, "main_test.go"},
	}
	for _, tt := range tests {
		t.Run(tt.archive, func(t *testing.T) {
			dir := extract(t, tt.archive)
			cache := t.TempDir()
			ctx := context.Background()
			if _, err := Generate(dir); err != nil {
				t.Fatal(err)
			}
			bin, err := Compile(ctx, dir, cache)
			if err != nil {
				t.Fatal(err)
			}
			if got := runBin(t, bin, tt.args...); got != tt.want {
				t.Fatalf("site printed %q, want %q", got, tt.want)
			}
			fi, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}

			writeFile(t, filepath.Join(dir, tt.edit), "changed\n")
			n, err := Generate(dir)
			if err != nil || n != 0 {
				t.Fatalf("Generate = %d, %v", n, err)
			}
			start := time.Now()
			bin2, err := Compile(ctx, dir, cache)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("cached Compile: %v", time.Since(start))
			if bin2 != bin {
				t.Fatalf("second Compile = %s, want %s", bin2, bin)
			}
			if fi2, err := os.Stat(bin2); err != nil || !os.SameFile(fi, fi2) {
				t.Fatalf("cached binary replaced")
			}
			entries, _ := os.ReadDir(cache)
			if len(entries) != 1 {
				t.Errorf("cache holds %d entries, want only the binary", len(entries))
			}
		})
	}
}

// TestCompileRebuildsOnChange edits a source of the site, a replaced
// module and an embedded file in turn: each must produce a new binary.
func TestCompileRebuildsOnChange(t *testing.T) {
	root := extract(t, "replace.txtar")
	dir := filepath.Join(root, "site")
	cache := t.TempDir()
	ctx := context.Background()
	bin, err := Compile(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if got := runBin(t, bin); got != "banner v1\nhello from lib\n" {
		t.Fatalf("site printed %q", got)
	}
	edits := []struct{ file, data, want string }{
		{"lib/lib.go", "package lib\n\nfunc Greeting() string { return \"lib v2\\n\" }\n", "banner v1\nlib v2\n"},
		{"site/banner.txt", "banner v2\n", "banner v2\nlib v2\n"},
		{"site/main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"rewritten\") }\n", "rewritten\n"},
	}
	seen := map[string]bool{bin: true}
	for _, e := range edits {
		writeFile(t, filepath.Join(root, e.file), e.data)
		bin, err := Compile(ctx, dir, cache)
		if err != nil {
			t.Fatalf("after editing %s: %v", e.file, err)
		}
		if seen[bin] {
			t.Fatalf("after editing %s: reused %s", e.file, bin)
		}
		seen[bin] = true
		if got := runBin(t, bin); got != e.want {
			t.Fatalf("after editing %s: site printed %q, want %q", e.file, got, e.want)
		}
	}
	// Four builds, three kept: the first is gone.
	entries, _ := os.ReadDir(cache)
	if len(entries) != keepBinaries {
		t.Errorf("cache holds %d entries, want %d", len(entries), keepBinaries)
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		archive string
		files   map[string]string
		want    []wantDiag
	}{{
		name:    "go errors",
		archive: "plain.txtar",
		files: map[string]string{
			"main.go":  "package main\n\nimport \"example.com/plain/sub\"\n\nfunc main() {\n\tx := 1\n\tsub.F(2)\n}\n",
			"sub/f.go": "package sub\n\nfunc F(s string) { y() }\n",
		},
		want: []wantDiag{{file: "sub/f.go", line: 3, col: 20, msg: "undefined: y"}},
	}, {
		name:    "errors in main package",
		archive: "plain.txtar",
		files: map[string]string{
			"main.go": "package main\n\nfunc F(s string) {}\n\nfunc main() {\n\tx := 1\n\tF(2, 3)\n}\n",
		},
		want: []wantDiag{
			{file: "main.go", line: 6, col: 2, msg: "declared and not used: x"},
			{file: "main.go", line: 7, col: 7, msg: "too many arguments in call to F\n\thave (number, number)\n\twant (string)"},
		},
	}, {
		name:    "templ expressions",
		archive: "templ.txtar",
		files: map[string]string{
			"ui/hello.templ": "package ui\n\nimport \"fmt\"\n\ntempl Hello(name string) {\n" +
				"\t<p class={ cls }>Hello, { undefinedVar }!</p>\n" +
				"\tif (count > 1) {\n\t\t<b>{ name + 1 }</b>\n\t}\n" +
				"\t@Other(42)\n}\n\ntempl Other(s string) {\n\t{ s }\n}\n",
		},
		want: []wantDiag{
			{file: "ui/hello.templ", line: 3, col: 8, msg: `"fmt" imported and not used`},
			{file: "ui/hello.templ", line: 6, col: 13, msg: "undefined: cls"},
			{file: "ui/hello.templ", line: 6, col: 28, msg: "undefined: undefinedVar"},
			{file: "ui/hello.templ", line: 7, col: 6, msg: "undefined: count"},
			{file: "ui/hello.templ", line: 8, col: 8, msg: "mismatched types string and untyped int"},
			{file: "ui/hello.templ", line: 10, col: 9, msg: "cannot use 42"},
		},
	}, {
		name:    "templ code gofmt rearranges",
		archive: "templ.txtar",
		files: map[string]string{
			"ui/hello.templ": "package ui\n\nimport (\n\t\"strings\"\n\t\"fmt\"\n)\n\n" +
				"func shout(s string) string { return strings.ToUpper(s)+\"!\" }\n\n" +
				"templ Hello(name string) {\n" +
				"\t{{ unused := shout(name) }}\n" +
				"\tfor i:=0;i<3;i++ {\n\t\t<i>{ shout(nme) }</i>\n\t}\n}\n",
		},
		want: []wantDiag{
			{file: "ui/hello.templ", line: 5, col: 2, msg: `"fmt" imported and not used`},
			{file: "ui/hello.templ", line: 11, col: 5, msg: "declared and not used: unused"},
			{file: "ui/hello.templ", line: 13, col: 14, msg: "undefined: nme"},
		},
	}, {
		name:    "missing import",
		archive: "plain.txtar",
		files:   map[string]string{"main.go": "package main\n\nimport \"github.com/nobody/nothing\"\n\nfunc main() { nothing.X() }\n"},
		want: []wantDiag{{file: "main.go", line: 3, col: 8, msg: "no required module provides package github.com/nobody/nothing",
			hint: "run `go get github.com/nobody/nothing` in the site directory"}},
	}, {
		name:    "missing go.sum",
		archive: "templ.txtar",
		files:   map[string]string{"go.sum": ""},
		want: []wantDiag{
			{file: "ui/hello_templ.go", line: 8, col: 8, msg: "missing go.sum entry", hint: "go mod tidy"},
			{file: "ui/hello_templ.go", line: 9, col: 8, msg: "missing go.sum entry", hint: "go mod tidy"},
		},
	}, {
		name:    "bad go.mod",
		archive: "plain.txtar",
		files:   map[string]string{"go.mod": "module example.com/plain\n\ngo 1.26\n\nbogus directive\n"},
		want:    []wantDiag{{file: "go.mod", line: 5, msg: "unknown directive: bogus"}},
	}, {
		name:    "library package",
		archive: "plain.txtar",
		files:   map[string]string{"main.go": "package site\n", "main_test.go": ""},
		want:    []wantDiag{{msg: "library package", hint: "package main"}},
	}, {
		name:    "no Go files",
		archive: "plain.txtar",
		files:   map[string]string{"main.go": ""},
		want:    []wantDiag{{msg: "Go files in", hint: "package main"}},
	}, {
		name:    "no go.mod",
		archive: "plain.txtar",
		files:   map[string]string{"go.mod": ""},
		want:    []wantDiag{{file: "go.mod", msg: "no go.mod", hint: "go mod init"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := extract(t, tt.archive)
			for name, data := range tt.files {
				if data == "" {
					os.Remove(filepath.Join(dir, name))
					continue
				}
				writeFile(t, filepath.Join(dir, name), data)
			}
			bin, _, err := Build(context.Background(), dir, t.TempDir())
			if err == nil {
				t.Fatalf("Build succeeded: %s", bin)
			}
			checkDiags(t, err, tt.want)
		})
	}
}

// TestCompileStaleTemplOutput: when X_templ.go is not what X.templ
// generates, an error in it cannot be mapped and is reported where it is,
// naming the .templ.
func TestCompileStaleTemplOutput(t *testing.T) {
	t.Parallel()
	dir := extract(t, "templ.txtar")
	if _, err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(dir, "ui/hello_templ.go")
	data, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "templ.JoinStringErrs(name)", "templ.JoinStringErrs(nam)", 1)
	writeFile(t, gen, broken)
	line := strings.Count(broken[:strings.Index(broken, "(nam)")], "\n") + 1
	_, err = Compile(context.Background(), dir, t.TempDir())
	checkDiags(t, err, []wantDiag{{file: "ui/hello_templ.go", line: line, msg: "undefined: nam", hint: "generated from ui/hello.templ"}})
}

func TestCompileCanceled(t *testing.T) {
	t.Parallel()
	dir := extract(t, "plain.txtar")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compile(ctx, dir, t.TempDir()); err != context.Canceled {
		t.Fatalf("Compile with a canceled context = %v, want context.Canceled", err)
	}
}

func TestPruneCache(t *testing.T) {
	cache := t.TempDir()
	now := time.Now()
	var names []string
	for i := range 5 {
		name := strings.Repeat(string(rune('a'+i)), 32) + exeSuffix
		names = append(names, name)
		writeFile(t, filepath.Join(cache, name), "bin")
		at := now.Add(-time.Duration(i) * time.Minute) // a newest, e oldest
		os.Chtimes(filepath.Join(cache, name), at, at)
	}
	writeFile(t, filepath.Join(cache, "unrelated"), "keep me")
	writeFile(t, filepath.Join(cache, "build-old/site"), "partial")
	writeFile(t, filepath.Join(cache, "build-new/site"), "in progress")
	old := now.Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(cache, "build-old"), old, old)

	// The binary just built is kept even though it is the oldest.
	pruneCache(cache, filepath.Join(cache, names[4]))
	var got []string
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{names[0], names[1], "build-new", names[4], "unrelated"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("cache holds %v, want %v", got, want)
	}
}

func TestCacheDir(t *testing.T) {
	a, err := CacheDir("site-a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CacheDir("site-b")
	a2, _ := CacheDir("./site-a/")
	base, _ := os.UserCacheDir()
	if a != a2 || a == b || filepath.Dir(a) != filepath.Join(base, "verge", "bin") {
		t.Fatalf("CacheDir: %s, %s, %s", a, a2, b)
	}
}
