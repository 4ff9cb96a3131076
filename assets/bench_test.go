package assets

import (
	"context"
	"fmt"
	"testing"
)

// benchSite is a site of 10 JS entries over 200 modules, 10 stylesheets and
// 100 images: the scale of a real blog's front end.
func benchSite(b *testing.B) string {
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("assets/js/_lib/m%d.js", i)] = fmt.Sprintf("export function f%d(x) { return x * %d + %q.length; }\n", i, i, "module body text")
	}
	for e := range 10 {
		js := ""
		for i := e * 20; i < e*20+20; i++ {
			js += fmt.Sprintf("import { f%d } from './_lib/m%d.js'; console.log(f%d(1));\n", i, i, i)
		}
		files[fmt.Sprintf("assets/js/page%d.js", e)] = js
		files[fmt.Sprintf("assets/css/page%d.css", e)] = fmt.Sprintf(".p%d { color: red; background: url(../img/i%d.png); }\n", e, e)
	}
	for i := range 100 {
		files[fmt.Sprintf("assets/img/i%d.png", i)] = fmt.Sprintf("image %d %0512d", i, i)
		files[fmt.Sprintf("static/s%d.txt", i)] = "static"
	}
	root := b.TempDir()
	writeFiles(b, root, files)
	return root
}

func BenchmarkBuild(b *testing.B) {
	opts := siteOptions(benchSite(b))
	opts.Minify = true
	for b.Loop() {
		if _, err := Build(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRebuild(b *testing.B) {
	opts := siteOptions(benchSite(b))
	opts.Minify = true
	bl, err := NewBuilder(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer bl.Dispose()
	for b.Loop() {
		if _, err := bl.Build(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
