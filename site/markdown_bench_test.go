package site

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkMarkdown converts a corpus post (VERGE_CORPUS, as made by
// shared/corpus/gen.py) with the site's default converter.
func BenchmarkMarkdown(b *testing.B) {
	dir := os.Getenv("VERGE_CORPUS")
	if dir == "" {
		b.Skip("set VERGE_CORPUS to a generated corpus")
	}
	src, err := os.ReadFile(filepath.Join(dir, "content", "posts", "post-00003.md"))
	if err != nil {
		b.Fatal(err)
	}
	fm, _ := splitFrontMatter("x.md", src)
	md := newMarkdown(DefaultConfig().Markdown)
	var buf bytes.Buffer
	b.SetBytes(int64(len(fm.body)))
	for b.Loop() {
		buf.Reset()
		if err := md.Convert(fm.body, &buf); err != nil {
			b.Fatal(err)
		}
	}
}
