package render

import (
	"os"
	"testing"
)

func BenchmarkMinify(b *testing.B) {
	src, err := os.ReadFile("testdata/post.html")
	if err != nil {
		b.Fatal(err)
	}
	r := New(Options{Minify: true})
	b.Run("verge", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := minifyPage(r, src); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tdewolff", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := r.min.m.Bytes("text/html", append([]byte(nil), src...)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
