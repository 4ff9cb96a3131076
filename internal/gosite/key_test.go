package gosite

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

func mustKey(t testing.TB, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	key, err := buildKey(context.Background(), goBin, dir)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestBuildKey(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(t *testing.T, root string)
		changes bool
	}{
		{"site source", write("site/main.go", "package main\n\nfunc main() {}\n"), true},
		{"new package", write("site/sub/x.go", "package sub\n"), true},
		{"assembly", write("site/sub/x_amd64.s", "TEXT ·f(SB),0,$0\n"), true},
		{"go.mod", write("site/go.mod", "module example.com/site\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib // moved\n"), true},
		{"go.sum", write("site/go.sum", "\n"), true},
		{"embedded file", write("site/banner.txt", "banner v2\n"), true},
		{"replaced module source", write("lib/lib.go", "package lib\n\nfunc Greeting() string { return \"\" }\n"), true},
		{"replaced module go.mod", write("lib/go.mod", "module example.com/lib\n\ngo 1.25\n"), true},
		{"GOFLAGS", func(t *testing.T, _ string) { t.Setenv("GOFLAGS", "-tags=extra") }, true},
		{"file not embedded", write("site/notes.txt", "edited\n"), false},
		{"content", write("site/content/post.md", "# new\n"), false},
		{"test file", write("site/main_test.go", "package main\n"), false},
		{"replaced module test", write("lib/lib_test.go", "package lib // edited\n"), false},
		{"testdata", write("lib/testdata/fixture.go", "package fixture // edited\n"), false},
		{"hidden dir", write("site/.cache/x.go", "package x\n"), false},
		{"underscore dir", write("site/_old/x.go", "package x\n"), false},
		{"dist", write("site/dist/x.go", "package x\n"), false},
		{"nested module", func(t *testing.T, root string) {
			write("site/tools/go.mod", "module example.com/tools\n")(t, root)
			write("site/tools/x.go", "package tools\n")(t, root)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := extract(t, "replace.txtar")
			dir := filepath.Join(root, "site")
			before := mustKey(t, dir)
			if again := mustKey(t, dir); again != before {
				t.Fatalf("key not stable: %s then %s", before, again)
			}
			tt.edit(t, root)
			if after := mustKey(t, dir); (after != before) != tt.changes {
				t.Errorf("key changed = %v, want %v", after != before, tt.changes)
			}
		})
	}
}

func write(name, data string) func(t *testing.T, root string) {
	return func(t *testing.T, root string) { writeFile(t, filepath.Join(root, name), data) }
}

func TestEmbedPatterns(t *testing.T) {
	src := "package p\n\nimport \"embed\"\n\n//go:embed a.txt \"b c.txt\" `d.txt` all:static\nvar f embed.FS\n\n//go:embedded not this\n  //go:embed\tdir/*.css\n"
	got := embedPatterns("/x", []byte(src))
	want := []embedRef{{"/x", "a.txt"}, {"/x", "b c.txt"}, {"/x", "d.txt"}, {"/x", "static"}, {"/x", "dir/*.css"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("embedPatterns = %v, want %v", got, want)
	}
}

// makeKeySite writes a site of 20 Go files replacing a module of 100, the
// size the key must stay fast for.
func makeKeySite(t testing.TB) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "site/go.mod"), "module example.com/site\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n")
	writeFile(t, filepath.Join(root, "lib/go.mod"), "module example.com/lib\n\ngo 1.26\n")
	body := make([]byte, 6000)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	for i := range 20 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("site/p%d/f%d.go", i%4, i)), fmt.Sprintf("package p%d\n\n// %s\n", i%4, body))
	}
	for i := range 100 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("lib/p%d/f%d.go", i%10, i)), fmt.Sprintf("package p%d\n\n// %s\n", i%10, body))
	}
	return filepath.Join(root, "site")
}

func BenchmarkBuildKey(b *testing.B) {
	dir := makeKeySite(b)
	for b.Loop() {
		mustKey(b, dir)
	}
}

func BenchmarkHashSources(b *testing.B) {
	dir := makeKeySite(b)
	for b.Loop() {
		var files []string
		for _, r := range []string{dir, filepath.Join(filepath.Dir(dir), "lib")} {
			collectSources(r, r, &files)
		}
		hashFiles(files)
	}
}

// TestBuildKeyGoWork: with a go.work above the site, the modules it uses
// are part of the key.
func TestBuildKeyGoWork(t *testing.T) {
	root := extract(t, "replace.txtar")
	t.Setenv("GOWORK", "") // let the go command find go.work itself
	write("go.work", "go 1.26\n\nuse (\n\t./site\n\t./other\n)\n")(t, root)
	write("other/go.mod", "module example.com/other\n\ngo 1.26\n")(t, root)
	write("other/x.go", "package other\n")(t, root)
	dir := filepath.Join(root, "site")
	before := mustKey(t, dir)
	write("other/x.go", "package other // edited\n")(t, root)
	if mustKey(t, dir) == before {
		t.Fatal("key unchanged after editing a go.work module")
	}
}
