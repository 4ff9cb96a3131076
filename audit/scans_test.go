package audit_test

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/manifest"
)

// benchPage is a page as the benchmark site renders one: a fingerprinted
// stylesheet and module script with SRI, a header, tags, 1.5 KB of text
// and a highlighted code block (a style attribute on every span).
func benchPage(i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><html lang=en><head><meta charset=utf-8><title>Post %d | Bench</title>`, i)
	b.WriteString(`<link rel=stylesheet href=/_assets/css/main-A64BHAQO.css integrity=sha384-NIFD8mpKkKpgS/N2QvXSwHJtb7mJ8wszSEw1+40bYkfF/p0iLaq/2DzuDCBstpr5 crossorigin=anonymous></head>`)
	fmt.Fprintf(&b, `<body><header><a href=/>Bench</a> <a href=/about/>About</a></header><main><article><h1>Post %d</h1><time>2015-01-01</time><ul class=tags><li><a href=/tags/topic-%d/>topic</a></li></ul>`, i, i%50)
	for p := range 8 {
		fmt.Fprintf(&b, `<p>Paragraph %d of post %d: session minify hash cache worker edge server layout region shard stream replica query pool. See <a href=/posts/post-%05d/>post</a> and <strong>static</strong> notes.</p>`, p, i, (i*7+p)%100000)
	}
	b.WriteString(`<pre style=background-color:#f7f7f7;tab-size:4><code>`)
	for range 6 {
		b.WriteString(`<span style=display:flex;><span style=color:#cf222e>func</span><span style=color:#fff> </span><span style=color:#6639ba>main</span></span>`)
	}
	b.WriteString(`</code></pre></article></main><script type=module src=/_assets/js/main-FN5BHTMZ.js integrity=sha384-BFByGyd4Kd0glGljXunZlEWY crossorigin=anonymous></script></body></html>`)
	return []byte(b.String())
}

// heap is the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkScansHeld streams n pages through Scans, as a build does
// while it renders, then grades them: what the audit holds of each page
// (held B/page, then the report's report B/page) stays the same small
// amount whatever n, a fraction of the page's HTML (html B/page), which
// is never kept.
func BenchmarkScansHeld(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := &manifest.Manifest{Schema: manifest.SchemaVersion, Site: manifest.SiteInfo{BaseURL: "https://example.com"}}
			for _, f := range []manifest.File{
				{Path: "/_assets/css/main-A64BHAQO.css", Kind: manifest.KindAsset, Size: 9000, ContentType: "text/css; charset=utf-8", CacheControl: "public, max-age=31536000, immutable"},
				{Path: "/_assets/js/main-FN5BHTMZ.js", Kind: manifest.KindAsset, Size: 5000, ContentType: "text/javascript; charset=utf-8", CacheControl: "public, max-age=31536000, immutable"},
			} {
				m.Files = append(m.Files, f)
			}
			for i := range n {
				route := fmt.Sprintf("/posts/post-%05d/", i)
				m.Files = append(m.Files, manifest.File{Path: route + "index.html", Route: route, Kind: manifest.KindPage, Size: 3000,
					SHA256: fmt.Sprintf("%064d", i), ContentType: "text/html; charset=utf-8", CacheControl: "public, max-age=60, must-revalidate"})
			}
			assets := map[string][]byte{"/_assets/css/main-A64BHAQO.css": []byte("body{margin:0}"), "/_assets/js/main-FN5BHTMZ.js": []byte("export{}")}
			read := func(f *manifest.File) ([]byte, error) {
				if data, ok := assets[f.Path]; ok {
					return data, nil
				}
				return nil, fmt.Errorf("%s: read back, not scanned", f.Path)
			}
			for b.Loop() {
				start := heap()
				sc := audit.NewScans("https://example.com")
				for i := range n {
					sc.Add(fmt.Sprintf("/posts/post-%05d/", i), benchPage(i))
				}
				held := heap()
				r, err := audit.New(m, read).AuditScanned(nil, sc)
				if err != nil {
					b.Fatal(err)
				}
				sc = nil
				report := heap()
				if len(r.Pages) != n || r.Grade != "A" {
					b.Fatalf("%d pages graded %s", len(r.Pages), r.Grade)
				}
				b.ReportMetric(float64(int64(held)-int64(start))/float64(n), "held_B/page")
				b.ReportMetric(float64(int64(report)-int64(start))/float64(n), "report_B/page")
				b.ReportMetric(float64(len(benchPage(n/2))), "html_B/page")
				runtime.KeepAlive(r)
			}
		})
	}
}
