package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/tools/txtar"
)

// tokenStream lists a page's tokens as tokenScan reads them: type, tag
// name and attributes, and text (a comment's or doctype's is not read).
// ok is false when the tokens gave the page up.
func tokenStream(z tokens) (list []string, ok bool) {
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return list, z.Err() == nil || z.Err().Error() == "EOF"
		}
		line := tt.String()
		switch tt {
		case html.TextToken:
			line += fmt.Sprintf(" %q", z.Text())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			line += " " + string(name)
			if hasAttr && tt != html.EndTagToken {
				line += fmt.Sprintf(" %q", z.attrs())
			}
		}
		list = append(list, line)
	}
}

// fastTokenCases are inputs at the edges of the Tokenizer's states.
var fastTokenCases = []string{
	`<!doctype html><html lang=en><head><meta charset=utf-8><title>a &amp; b</title></head><body><p class="x" CLASS=y>t</p></body></html>`,
	`<DIV Style="Color:Red" style=2 =a ==b data-x='q"r' v=a"b>x</DIV>`,
	`<a href="/?a=1&amp;b=2&copy=3&notin;">x</a><img src='&#x2f;i.png' alt=&lt;&gt;>`,
	`<br/><br /><p a=/>x</p><p a=b/>y<p/ a>`,
	`a < b <3 <<p>c</p> <`,
	`</> </ x> <? xml ?> <!-- c --> <!--> <!---> <!-- a --!> <!-- b --!-- c --> <!x> <!DOCTYPE  html SYSTEM "x">`,
	`<script>if (a</b) x = "</scrip"; </script ><style>p{}</STYLE><title>&amp;</title ><textarea>a</textareax></textarea/>`,
	`<script>a<!--b</script>`,
	"<p>a\r\nb\rc</p><img src=\"a\r\nb\"><style>x\r\ny</style>",
	`<p x="unterminated`,
	`<p`,
	`<!--`,
	`<script>no end`,
	`<iframe src=a>text<b></iframe><noscript><i></noscript><xmp><u></xmp><noembed></noembed><noframes></noframes>`,
	`<plaintext><p>`,
	"<p>\x00</p>",
	`<p a='&'b' c=&amp;"'>`,
}

// fastTokens gives the Tokenizer's tokens whenever it does not give up,
// and does not give up on pages as a build writes them.
func TestFastTokensMatchTokenizer(t *testing.T) {
	check := func(what string, data []byte) bool {
		var fast fastTokens
		fast.reset(data)
		got, ok := tokenStream(&fast)
		if !ok {
			return false
		}
		want, _ := tokenStream(&slowTokens{z: html.NewTokenizer(bytes.NewReader(data))})
		if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
			t.Errorf("%s: %q\nfast:\n%s\ntokenizer:\n%s", what, data, g, w)
		}
		return true
	}
	for i, c := range fastTokenCases {
		check(fmt.Sprintf("case %d", i), []byte(c))
	}
	for i, tc := range tokenCases {
		check(fmt.Sprintf("token case %d", i), []byte(tc.html))
	}
	for _, pg := range testPages(t) {
		if !check(pg.name, pg.data) {
			t.Errorf("%s: fast tokens gave up on a page as a build writes it", pg.name)
		}
	}
}

func FuzzFastTokens(f *testing.F) {
	for _, c := range fastTokenCases {
		f.Add([]byte(c))
	}
	for _, tc := range tokenCases {
		f.Add([]byte(tc.html))
	}
	if data, err := os.ReadFile("testdata/hosts.txtar"); err == nil {
		f.Add(data)
	}
	pages, _ := filepath.Glob("testdata/pages/*.html")
	for _, name := range pages {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast fastTokens
		fast.reset(data)
		got, ok := tokenStream(&fast)
		if !ok {
			return
		}
		want, _ := tokenStream(&slowTokens{z: html.NewTokenizer(bytes.NewReader(data))})
		if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
			t.Errorf("%q\nfast:\n%s\ntokenizer:\n%s", data, g, w)
		}
	})
}

type testPage struct {
	name string
	data []byte
}

// testPages are the fixtures' pages and pages a build wrote.
func testPages(t *testing.T) []testPage {
	var out []testPage
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, name := range files {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".html") {
				out = append(out, testPage{name + " " + f.Name, f.Data})
			}
		}
	}
	pages, _ := filepath.Glob("testdata/pages/*.html")
	for _, name := range pages {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testPage{name, data})
	}
	return out
}
