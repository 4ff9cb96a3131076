package site

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarkdownFeatures(t *testing.T) {
	md := newMarkdown(DefaultConfig().Markdown)
	cases := []struct{ name, src, want string }{
		{"bare URL linked", "Visit https://go.dev/doc now.", `<a href="https://go.dev/doc">https://go.dev/doc</a>`},
		{"www linked", "See www.example.org today.", `<a href="http://www.example.org">www.example.org</a>`},
		{"e-mail linked", "Write to me@example.org please.", `<a href="mailto:me@example.org">me@example.org</a>`},
		{"no link without markers", "Plain prose, no links here.", "<p>Plain prose, no links here.</p>"},
		{"strikethrough", "~~gone~~", "<del>gone</del>"},
		{"task list", "- [x] done", `<input checked="" disabled="" type="checkbox"`},
		{"table", "| a |\n|---|\n| 1 |", "<table>"},
		{"footnote", "Text.[^n]\n\n[^n]: Note.", `class="footnotes"`},
		{"heading id and anchor", "## Hello World", `<h2 id="hello-world">Hello World <a class="anchor" href="#hello-world" aria-hidden="true">#</a></h2>`},
		{"typographer", `"quoted" -- dash`, "&ldquo;quoted&rdquo; &ndash; dash"},
		{"highlighted code", "```go\nfunc main() {}\n```", `<span style="color:`},
		{"unknown language is escaped, not highlighted", "```nosuchlang\n<b>x</b>\n```", `<pre><code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt;`},
		{"raw HTML omitted by default", "<script>alert(1)</script>", "<!-- raw HTML omitted -->"},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		if err := md.Convert([]byte(tc.src), &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%s: %q lacks %q", tc.name, buf.String(), tc.want)
		}
		if tc.name == "no link without markers" && strings.Contains(buf.String(), "<a ") {
			t.Errorf("%s: %q", tc.name, buf.String())
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct{ html, want string }{
		{"<p>First <em>para</em>.</p><p>Second.</p>", "First para."},
		{"<p>One</p><p>Two</p><!--more-->", "One Two"},
		{"<p>Intro</p><!--more--><p>Rest</p>", "Intro"},
		{`<p>Note<sup id="fnref:1"><a href="#fn:1">1</a></sup> here.</p>`, "Note here."},
		{"<p>" + strings.Repeat("word ", 80) + "</p>", strings.TrimSpace(strings.Repeat("word ", 70)) + "…"},
	} {
		if got := summarize([]byte(tc.html), 70); got != tc.want {
			t.Errorf("summarize(%q) = %q, want %q", tc.html, got, tc.want)
		}
	}
}
