package gosite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	templruntime "github.com/a-h/templ/runtime"
)

func TestDevGenerator(t *testing.T) {
	dir := t.TempDir()
	textDir := t.TempDir()
	src := filepath.Join(dir, "ui/hello.templ")
	writeFile(t, src, helloTempl)
	g, err := NewDevGenerator(dir, textDir)
	if err != nil {
		t.Fatal(err)
	}
	// The text file is where templ's runtime looks for it.
	textFile := filepath.Join(textDir, filepath.Base(templruntime.GetDevModeTextFileName(src)))
	text := func() string {
		data, err := os.ReadFile(textFile)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}

	steps := []struct {
		name     string
		content  string // new .templ source; "" removes the file
		want     GenResult
		wantText string // substring of the text file
	}{
		{"first run", helloTempl, GenResult{GoChanged: true}, "<p>Hello, "},
		{"nothing changed", helloTempl, GenResult{}, "<p>Hello, "},
		{"text only", strings.Replace(helloTempl, "Hello,", "Hi there,", 1), GenResult{TextChanged: true}, "<p>Hi there, "},
		{"an expression", strings.Replace(helloTempl, "{ name }", "{ name + \"!\" }", 1), GenResult{GoChanged: true}, ""},
		{"a new element", strings.Replace(helloTempl, "</p>", "</p><p>{ name }</p>", 1), GenResult{GoChanged: true}, ""},
		{"file removed", "", GenResult{GoChanged: true}, ""},
	}
	for _, s := range steps {
		if s.content == "" {
			os.Remove(src)
		} else {
			writeFile(t, src, s.content)
		}
		got, err := g.Generate()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
		}
		if s.wantText != "" && !strings.Contains(text(), s.wantText) {
			t.Errorf("%s: text file %q lacks %q", s.name, text(), s.wantText)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ui/hello_templ.go")); !os.IsNotExist(err) {
		t.Errorf("generated code of a removed .templ is still there: %v", err)
	}

	// A syntax error is located, and nothing changes until it is fixed.
	writeFile(t, src, "package ui\n\ntempl Broken( {\n")
	if _, err := g.Generate(); err == nil || diags(t, err)[0].File != "ui/hello.templ" {
		t.Errorf("syntax error: %v", err)
	}
}
