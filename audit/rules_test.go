package audit_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/vergehq/verge/audit"
)

// generated are the files a fixture needs that are better made than
// committed: images, and files too large to read.
var generated = map[string]func(t *testing.T) []txtar.File{
	"yimgnoscale": func(t *testing.T) []txtar.File {
		return []txtar.File{{Name: "img/photo.png", Data: pngOf(t, 400, 300)}}
	},
	"yminify": func(*testing.T) []txtar.File {
		return []txtar.File{
			{Name: "js/app.js", Data: unminifiedJS(100)},
			{Name: "css/site.css", Data: unminifiedCSS(100)},
			{Name: "js/lib.js", Data: mostlyMinifiedJS()},
		}
	},
	"ymindom": func(*testing.T) []txtar.File {
		return []txtar.File{
			{Name: "edge/index.html", Data: pageOfElements(900)},
			{Name: "over/index.html", Data: pageOfElements(901)},
			{Name: "big/index.html", Data: pageOfElements(1150)},
		}
	},
	"yfavicon": func(*testing.T) []txtar.File {
		return []txtar.File{{Name: "icons/big.png", Data: bytes.Repeat([]byte{0}, 2500)}}
	},
}

func pngOf(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unminifiedJS is n commented, indented functions with long names.
func unminifiedJS(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "// computeSomething%d adds its arguments and scales the sum.\n", i)
		fmt.Fprintf(&b, "function computeSomething%d(firstArgument, secondArgument) {\n", i)
		fmt.Fprintf(&b, "    var intermediateResult = firstArgument + secondArgument;\n")
		fmt.Fprintf(&b, "    return intermediateResult * %d;\n}\n\n", i)
	}
	return b.Bytes()
}

// unminifiedCSS is n commented rules with long-hand values.
func unminifiedCSS(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "/* the block number %d */\n.selector-%d {\n    margin: 0px 0px 0px 0px;\n    color: #ffffff;\n}\n\n", i, i)
	}
	return b.Bytes()
}

// mostlyMinifiedJS saves over 2 KiB when minified, but under 10%.
func mostlyMinifiedJS() []byte {
	return []byte("console.log(\"" + strings.Repeat("x", 50000) + "\");\n" +
		strings.Repeat("                                       \n", 75))
}

// pageOfElements is a page of exactly n elements (html, head and body
// included).
func pageOfElements(n int) []byte {
	return []byte("<!doctype html><html><head></head><body>" + strings.Repeat("<i></i>", n-3) + "</body></html>")
}

// site builds fixture name, with its generated files.
func site(t *testing.T, name string) *txtar.Archive {
	t.Helper()
	var extra []txtar.File
	if gen := generated[name]; gen != nil {
		extra = gen(t)
	}
	return fixture(t, name, extra...)
}

func TestRules(t *testing.T) {
	tests := []struct {
		fixture, route, rule string
		score                int
		offenders            []string // in each offender's What, in order
	}{
		{"ynumreq", "/bad/", "ynumreq", 78, []string{"5 external scripts", "4 stylesheets", "8 CSS background images"}},
		{"ynumreq", "/ok/", "ynumreq", 100, nil},
		{"ycdn", "/bad/", "ycdn", 80, []string{"img.example.org/a.png", "code.example.net/lib.js"}},
		{"ycdn", "/ok/", "ycdn", 100, nil},
		{"yemptysrc", "/bad/", "yemptysrc", 0, []string{`<img src="">`, `<script src="">`}},
		{"yemptysrc", "/one/", "yemptysrc", 0, []string{`href=" "`}},
		{"yemptysrc", "/ok/", "yemptysrc", 100, nil},
		{"yexpires", "/bad/", "yexpires", 78, []string{"/_assets/app.css", "/img/logo.png"}},
		{"yexpires", "/ok/", "yexpires", 100, nil},
		{"ycompress", "/bad/", "ycompress", 89, []string{"/legacy.js"}},
		{"ycompress", "/ok/", "ycompress", 100, nil},
		{"ycsstop", "/bad/", "ycsstop", 79, []string{"/_assets/late.css", "/_assets/later.css"}},
		{"ycsstop", "/ok/", "ycsstop", 100, nil},
		{"yjsbottom", "/bad/", "yjsbottom", 90, []string{"/_assets/a.js", "/_assets/e.js"}},
		{"yjsbottom", "/ok/", "yjsbottom", 100, nil},
		{"yexpressions", "/bad/", "yexpressions", 84, []string{"1 CSS expression(s) in inline style 1", "2 CSS expression(s) in /_assets/old.css"}},
		{"yexpressions", "/ok/", "yexpressions", 100, nil},
		{"yexternal", "/bad/", "yexternal", 100, []string{"inline <style>", "inline <script>"}},
		{"yexternal", "/ok/", "yexternal", 100, nil},
		{"ydns", "/bad/", "ydns", 90, []string{"6 hosts"}},
		{"ydns", "/ok/", "ydns", 100, nil},
		{"yminify", "/bad/", "yminify", 80, []string{"/css/site.css", "/js/app.js"}},
		{"yminify", "/ok/", "yminify", 100, nil},
		{"yredirects", "/bad/", "yredirects", 80, []string{"/posts/b", "/posts/a/index.html"}},
		{"yredirects", "/ok/", "yredirects", 100, nil},
		{"ydupes", "/bad/", "ydupes", 90, []string{"/_assets/app.css", "/_assets/app.js"}},
		{"ydupes", "/ok/", "ydupes", 100, nil},
		{"yetags", "/", "yetags", 100, nil},
		{"yxhr", "/", "yxhr", 95, []string{"GET /api/related/{slug}"}},
		{"yxhr_cached", "/", "yxhr", 100, nil},
		{"yxhrmethod", "/", "yxhrmethod", 100, nil},
		{"ymindom", "/big/", "ymindom", 89, []string{"1150 elements"}},
		{"ymindom", "/edge/", "ymindom", 100, nil},
		{"ymindom", "/", "ymindom", 100, nil},
		{"yno404", "/bad/", "yno404", 90, []string{"/img/missing.png", "/_assets/gone.js"}},
		{"yno404", "/ok/", "yno404", 100, nil},
		{"ymincookie", "/", "ymincookie", 100, nil},
		{"ycookiefree", "/", "ycookiefree", 100, nil},
		{"ynofilter", "/bad/", "ynofilter", 90, []string{"1 AlphaImageLoader filter(s) in /_assets/ie.css", "1 AlphaImageLoader filter(s) in inline style 1"}},
		{"ynofilter", "/ok/", "ynofilter", 100, nil},
		{"yimgnoscale", "/bad/", "yimgnoscale", 90, []string{`width="200"`, `height="100px"`}},
		{"yimgnoscale", "/ok/", "yimgnoscale", 100, nil},
		{"yfavicon", "/missing/", "yfavicon", 95, []string{"/icons/none.ico"}},
		{"yfavicon", "/big/", "yfavicon", 90, []string{"/icons/big.png", "/icons/big.png"}},
		{"yfavicon", "/", "yfavicon", 100, nil},
	}
	reports := map[string]*audit.Report{} // by fixture
	for _, tt := range tests {
		t.Run(tt.fixture+tt.route, func(t *testing.T) {
			if reports[tt.fixture] == nil {
				reports[tt.fixture] = auditSite(t, site(t, tt.fixture))
			}
			checkRule(t, pageOf(t, reports[tt.fixture], tt.route), tt.rule, tt.score, tt.offenders)
		})
	}
}

// checkRule checks rule id's score and offenders on p.
func checkRule(t *testing.T, p audit.PageReport, id string, score int, offenders []string) {
	t.Helper()
	r := ruleOf(t, p, id)
	if r.Score != score {
		t.Errorf("%s %s = %d, want %d (offenders %v)", p.Route, id, r.Score, score, r.Offenders)
	}
	if len(r.Offenders) != len(offenders) {
		t.Fatalf("%s %s: %d offenders %v, want %d %q", p.Route, id, len(r.Offenders), r.Offenders, len(offenders), offenders)
	}
	for i, o := range r.Offenders {
		if !strings.Contains(o.What, offenders[i]) || o.Fix == "" {
			t.Errorf("%s %s offender %d = %+v, want %q in What and a Fix", p.Route, id, i, o, offenders[i])
		}
	}
}

// TestRuleFixes are rule behaviours once wrong, each with the right one.
func TestRuleFixes(t *testing.T) {
	tests := []struct {
		was, fixture, route, rule string
		score                     int
		offenders                 []string
	}{
		{"yemptysrc counts an empty <a href>, which loads nothing (YSlow counts components only)",
			"yemptysrc", "/anchor/", "yemptysrc", 100, nil},
		{"ynofilter takes 5 per stylesheet, not 5 per filter as YSlow and the notes do",
			"ynofilter", "/twice/", "ynofilter", 90, []string{"2 AlphaImageLoader filter(s) in /_assets/ie2.css"}},
		{"ymindom rounds the excess down; YSlow takes 10 per started 250 (Math.ceil), so 901 elements score 89",
			"ymindom", "/over/", "ymindom", 89, []string{"901 elements"}},
		{"yno404: a function pattern ending in / (a net/http subtree) matches only its own path",
			"yno404", "/subtree/", "yno404", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+tt.route, func(t *testing.T) {
			checkRule(t, pageOf(t, auditSite(t, site(t, tt.fixture)), tt.route), tt.rule, tt.score, tt.offenders)
		})
	}
}
