package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/html"
)

func TestMinifyHTML(t *testing.T) {
	r := New(Options{Minify: true})
	cases := []struct{ name, in, want string }{
		{"whitespace between blocks goes", "<div>\n  <p>a</p>\n  <p>b</p>\n</div>", "<div><p>a</p><p>b</p></div>"},
		{"one space between inline content stays", "<p>a   <b>b</b>\n <i>c</i> d</p>", "<p>a <b>b</b> <i>c</i> d</p>"},
		{"space before and after block edges goes", "<p>  text  </p>", "<p>text</p>"},
		{"space inside inline tags stays", "<p>x<a href=\"/y/\"> link </a>z</p>", "<p>x<a href=/y/> link </a>z</p>"},
		{"pre is verbatim", "<pre>  a\n   b  </pre><p> c </p>", "<pre>  a\n   b  </pre><p>c</p>"},
		{"tags inside pre keep their text", "<pre><code><span>x</span>\n<span> y</span></code></pre>", "<pre><code><span>x</span>\n<span> y</span></code></pre>"},
		{"comments go, conditional comments stay", "<p>a<!-- note -->b</p><!--[if IE]>x<![endif]-->", "<p>ab</p><!--[if IE]>x<![endif]-->"},
		{"doctype, document and end tags", "<!DOCTYPE html>\n<html>\n<head><title> T </title></head>\n<body><p>x</p></body>\n</html>\n", "<!doctype html><html><head><title>T</title></head><body><p>x</p></body></html>"},
		{"quotes dropped where safe", `<a href="/a/" class="x y" title='say "hi"' data-v="a=b">a</a>`, `<a href=/a/ class="x y" title='say "hi"' data-v="a=b">a</a>`},
		{"empty values and void tags", `<img src="/i.png" alt=""><br/><input disabled>`, `<img src=/i.png alt><br><input disabled>`},
		{"inline script minified", "<script>\n  const a = 1 ;\n  console.log( a );\n</script>", "<script>const a=1;console.log(a)</script>"},
		{"module script minified, external kept", `<script type="module" src="/x.js" defer></script><script type="module">let  x = 1</script>`, `<script type=module src=/x.js defer></script><script type=module>let x=1</script>`},
		{"inline style minified", "<style>\n body { color : red ; }\n</style>", "<style>body{color:red}</style>"},
		{"json script minified", `<script type="application/ld+json">{ "a" : 1 }</script>`, `<script type=application/ld+json>{"a":1}</script>`},
		{"other script types untouched", `<script type="text/template"> <b> x </b> </script>`, `<script type=text/template> <b> x </b> </script>`},
		{"textarea is verbatim", "<textarea>  a\n b </textarea>", "<textarea>  a\n b </textarea>"},
		{"invisible elements keep the space around them", "<p>Hello <script>x()</script> world</p><p>a <noscript>n</noscript> b</p>", "<p>Hello<script>x()</script> world</p><p>a<noscript> n</noscript> b</p>"},
		{"svg passes through", `<p>a <svg viewBox="0 0 1 1"><path d="M0 0"/></svg> b</p>`, `<p>a <svg viewBox="0 0 1 1"><path d="M0 0"/></svg> b</p>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := minifyPage(r, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := minifyPage(r, []byte("<script>let = ;</script>")); err == nil {
		t.Error("invalid inline script minified without error")
	}
}

// TestMinifyHTMLKeepsWhatRenders minifies real pages (the blog example,
// built unminified) and checks the result renders the same as the input
// and as tdewolff's general minifier: same elements, same attributes,
// same text once whitespace is collapsed as browsers do.
func TestMinifyHTMLKeepsWhatRenders(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	if len(files) == 0 {
		t.Fatal("no testdata pages")
	}
	r := New(Options{Minify: true})
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := minifyPage(r, append([]byte(nil), src...))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		theirs, err := r.min.m.Bytes("text/html", append([]byte(nil), src...))
		if err != nil {
			t.Fatal(err)
		}
		want := rendered(t, src)
		if got := rendered(t, ours); got != want {
			t.Errorf("%s: minified page renders differently:\n%s", f, firstDiff(got, want))
		}
		if got := rendered(t, theirs); got != want {
			t.Logf("%s: (reference) tdewolff differs too:\n%s", f, firstDiff(got, want))
		}
		if len(ours) > len(src) {
			t.Errorf("%s: minified %d bytes to %d", f, len(src), len(ours))
		}
	}
}

// rendered reduces a page to what a browser shows: elements with their
// attribute values, and text with whitespace collapsed, none at the edges
// of block elements and none inside pre touched.
func rendered(t *testing.T, page []byte) string {
	t.Helper()
	var b strings.Builder
	lex := html.NewLexer(parse.NewInputBytes(page))
	pre := 0
	hidden := "" // an invisible element being skipped, attributes and all
	for {
		tt, data := lex.Next()
		if hidden != "" {
			if tt == html.EndTagToken && string(lex.Text()) == hidden ||
				(hidden == "link" || hidden == "meta") && (tt == html.StartTagCloseToken || tt == html.StartTagVoidToken) {
				hidden = ""
			}
			if tt != html.ErrorToken {
				continue
			}
		}
		if tt == html.StartTagToken && invisibleElements[string(lex.Text())] {
			hidden = string(lex.Text())
			continue
		}
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\x00", " ")), " ")
		case html.StartTagToken, html.EndTagToken:
			name := string(lex.Text())
			if name == "pre" {
				if tt == html.StartTagToken {
					pre++
				} else {
					pre--
				}
			}
			if blockElements[name] {
				b.WriteString("\x00|")
			}
			b.WriteString("<" + string(data[1:2]) + name)
		case html.AttributeToken:
			b.WriteString(" " + strings.ToLower(string(lex.AttrKey())) + "=" + unquote(lex.AttrVal()))
		case html.TextToken:
			if pre > 0 {
				b.WriteString(strings.ReplaceAll(string(data), " ", "·"))
			} else {
				b.Write(data)
			}
		case html.CommentToken:
		default:
			b.Write(data)
		}
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "got:  …" + a[lo:min(len(a), i+80)] + "\nwant: …" + b[lo:min(len(b), i+80)]
}

// minifyPage runs the page pass with minification on.
func minifyPage(r *Renderer, src []byte) ([]byte, error) {
	p, err := r.process("/", src)
	return p.html, err
}
