package audit

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

// scanned is what the rules read of a page, comparable.
func scanned(p *page) string {
	var b strings.Builder
	fmt.Fprintf(&b, "elements %d\nempty %q\nstyles %d %v\ninline %q\npreconnect %q\n", p.elements, p.empty, p.styles, p.css, p.inline, p.preconnect)
	for _, r := range p.styleImages {
		fmt.Fprintf(&b, "style image %q %q %q %q\n", r.url, r.path, r.host, r.elem)
	}
	for _, r := range p.refs {
		fmt.Fprintf(&b, "ref %d %q %q %q %q %t", r.kind, r.url, r.path, r.host, r.elem, r.inHead)
		if r.node != nil {
			fmt.Fprintf(&b, " %s %q", r.node.Data, r.node.Attr)
			// No rule reads a referenced element's text (a script's is
			// read only when it has no src: the page's inline list).
		}
		b.WriteString("\n")
	}
	return b.String()
}

// bothWays scans data from its tokens and from its parse tree; ok is
// false when the token scan gave up.
func bothWays(t testing.TB, data []byte) (fast, tree string, ok bool) {
	s := New(&manifest.Manifest{Site: manifest.SiteInfo{BaseURL: "https://example.com"}}, nil)
	base, _ := url.Parse("/a/b/")
	pf := &page{route: "/a/b/"}
	ok = pf.scanTokens(s, base, data)
	// Again, from what the first scan kept of its elements (see memo).
	again := &page{route: "/a/b/"}
	if okAgain := again.scanTokens(s, base, data); okAgain != ok || scanned(again) != scanned(pf) {
		t.Errorf("%q: scanned again:\n%s\nfirst:\n%s", data, scanned(again), scanned(pf))
	}
	pt := &page{route: "/a/b/"}
	if err := pt.scanTree(s, base, data); err != nil {
		return "", "", false // the parser fails the page: the audit reports it
	}
	return scanned(pf), scanned(pt), ok
}

// tokenCases are pages the token scan must read as the parser does, or
// give up on (fast false), with whether it should manage.
var tokenCases = []struct {
	html string
	fast bool
}{
	{`<!doctype html><html lang=en><head><meta charset=utf-8><title>T</title><link rel=stylesheet href=/a.css></head><body><header><a href=/>x</a></header><main><p>t <strong>b</strong></p><script src=/b.js defer></script></main></body></html>`, true},
	{`<title>no html, head or body</title><link rel=icon href=/i.png>text<img src=x.png width=3>`, true},
	{`<html><head><style>a{background:url(i.png)}</style></head><body style="color:red"><div style="x:expression(1)"></div></body></html>`, true},
	{`<html><head></head><link rel=stylesheet href=/late.css><script>var x</script><body></body></html>`, true},
	{`<table><thead><tr><th>a</th></tr></thead><tbody><tr><td><p>b</p><img src=c.png></td></tr></tbody></table>`, true},
	{`<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><dl><dt>x</dt><dd>y</dd></dl>`, true},
	{`<p>a<div>b</div></p>`, false},
	{`<p>a<p>b`, false},
	{`<li>a<li>b`, false},
	{`<b><i>x</b></i><img src=y.png>`, false},
	{`<table><tr><td>implied tbody</td></tr></table>`, false},
	{`<table>foster<img src=a.png></table>`, false},
	{`<svg><script>x</script><image href=a.png /></svg>`, false},
	{`<template><img src=a.png></template>`, false},
	{`<a href=1><a href=2>x</a></a>`, false},
	{`<select><option>a<img src=b.png></select>`, false},
	{`<br></br><img src="">`, false},
	{`<script src="">inline</script><iframe src="">x</iframe><input src=" ">`, true},
	{`<html><body></body></html><!-- after -->  `, true},
	{`<html><body></body></html><img src=a.png>`, false},
	{`<noscript><img src=a.png></noscript><textarea><img src=b.png></textarea>`, true},
	{`<h1>a<h2>b</h2></h1>`, false},
	{`<div/><img src=a.png></div>`, true},
	{`<script type=module src=/m.js></script><SCRIPT SRC=/N.JS ASYNC></SCRIPT><link rel="preconnect dns-prefetch" href=https://cdn.example.net>`, true},
	{`<style></style><style> </style><script></script>`, true},
	{`<head><script src=/a.js></script><link rel=icon href=/i.png></head><body><script src=/a.js></script><script src=/a.js>x</script><script src="">y</script><script src="">z</script><link rel=icon href=/i.png><img src=i.png><img src=i.png><img src=/i.png width=2><img src=/i.png width=2></body>`, true},
}

// The token scan reads a page as the parser does whenever it does not
// give up, and it does not give up on pages written as a build writes
// them.
func TestTokensMatchTree(t *testing.T) {
	for i, tc := range tokenCases {
		fast, tree, ok := bothWays(t, []byte(tc.html))
		if ok != tc.fast {
			t.Errorf("case %d: token scan managed %t, want %t: %s", i, ok, tc.fast, tc.html)
		}
		if ok && fast != tree {
			t.Errorf("case %d: %s\ntokens:\n%s\ntree:\n%s", i, tc.html, fast, tree)
		}
	}
	for _, pg := range testPages(t) {
		fast, tree, ok := bothWays(t, pg.data)
		if !ok && strings.HasPrefix(pg.name, "testdata/pages/") {
			t.Errorf("%s: the token scan gave up on a page a build wrote", pg.name)
		}
		if ok && fast != tree {
			t.Errorf("%s:\ntokens:\n%s\ntree:\n%s", pg.name, fast, tree)
		}
	}
}

func FuzzTokensMatchTree(f *testing.F) {
	for _, tc := range tokenCases {
		f.Add([]byte(tc.html))
	}
	if data, err := os.ReadFile("testdata/hosts.txtar"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, tree, ok := bothWays(t, data); ok && fast != tree {
			t.Errorf("%q:\ntokens:\n%s\ntree:\n%s", data, fast, tree)
		}
	})
}

// BenchmarkScanTokens reads pages a build wrote from their tokens, in
// place (fast) and with html.Tokenizer (tokenizer).
func BenchmarkScanTokens(b *testing.B) {
	pages, _ := filepath.Glob("testdata/pages/*.html")
	s := New(&manifest.Manifest{Site: manifest.SiteInfo{BaseURL: "https://example.com"}}, nil)
	for _, name := range pages {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, slow := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/slow=%t", filepath.Base(name), slow), func(b *testing.B) {
				base, _ := url.Parse("/a/b/")
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					p := &page{route: "/a/b/"}
					if ok, unsure := p.scanWith(s, base, data, slow); !ok || unsure {
						b.Fatal("gave up")
					}
				}
			})
		}
	}
}
