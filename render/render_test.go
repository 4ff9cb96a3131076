package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func page(route, html string) Page {
	return Page{Route: route, Render: func(_ context.Context, w io.Writer) ([]string, error) {
		_, err := io.WriteString(w, html)
		return []string{"site", "e:" + route}, err
	}}
}

func assetMap(ref string) (string, string, bool) {
	if ref == "/assets/css/main.css" {
		return "/_assets/css/main-ABC.css", "sha384-xyz", true
	}
	if ref == "/assets/img/a.png" {
		return "/_assets/img/a-DEF.png", "sha384-img", true
	}
	return "", "", false
}

func TestPostprocess(t *testing.T) {
	r := New(Options{Asset: assetMap})
	cases := []struct {
		name, route, html string
		wantHTML          []string // substrings of the output
		wantLinks         []string // resolved paths
		wantAssets        []string
		wantErr           string
	}{
		{
			name:       "stylesheet by source path gets URL and SRI",
			route:      "/",
			html:       `<link rel="stylesheet" href="/assets/css/main.css"><img src="/assets/img/a.png">`,
			wantHTML:   []string{`href="/_assets/css/main-ABC.css" integrity="sha384-xyz" crossorigin="anonymous">`, `<img src="/_assets/img/a-DEF.png">`},
			wantLinks:  []string{"/_assets/css/main-ABC.css", "/_assets/img/a-DEF.png"},
			wantAssets: []string{"/assets/css/main.css", "/assets/img/a.png"},
		},
		{
			name:      "relative, absolute, external, fragment and query links",
			route:     "/posts/a/",
			html:      `<a href="../b/">b</a><a href="/c/?x=1#y">c</a><a href="https://x.org/">x</a><a href="#top">t</a><a href="mailto:a@b">m</a><img srcset="/i1.png 1x, /i2.png 2x">`,
			wantLinks: []string{"/posts/b/", "/c/", "/i1.png", "/i2.png"},
		},
		{
			name:       "asset references keep query and fragment; srcset candidates are rewritten",
			route:      "/",
			html:       `<img src="/assets/img/a.png#x" srcset="/assets/img/a.png 1x, /big.png 2x">`,
			wantHTML:   []string{`src="/_assets/img/a-DEF.png#x"`, `srcset="/_assets/img/a-DEF.png 1x, /big.png 2x"`},
			wantLinks:  []string{"/_assets/img/a-DEF.png", "/_assets/img/a-DEF.png", "/big.png"},
			wantAssets: []string{"/assets/img/a.png#x", "/assets/img/a.png"},
		},
		{
			name:      "dot segments resolve as a browser would",
			route:     "/posts/a/",
			html:      `<a href="..">up</a><a href=".">here</a><a href="../../">root</a>`,
			wantLinks: []string{"/posts/", "/posts/a/", "/"},
		},
		{
			name:    "empty href and src are errors with their line",
			route:   "/",
			html:    "<p>\n<a href=\"\">x</a>\n<img src=\" \">",
			wantErr: "line 2: empty href on <a>; line 3: empty src on <img>",
		},
		{
			name:     "integrity already present is kept",
			route:    "/",
			html:     `<script src="/assets/css/main.css" integrity="sha384-own"></script>`,
			wantHTML: []string{`integrity="sha384-own"></script>`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := r.Render(context.Background(), page(tc.route, tc.html))
			if tc.wantErr != "" {
				if o.Err == nil || !strings.Contains(strings.ReplaceAll(o.Err.Error(), "\n", "; "), tc.wantErr) {
					t.Fatalf("err = %v, want %q", o.Err, tc.wantErr)
				}
				var e *EmptyRefError
				if !errors.As(o.Err, &e) {
					t.Errorf("error %T is not an *EmptyRefError", o.Err)
				}
				return
			}
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			for _, w := range tc.wantHTML {
				if !strings.Contains(string(o.HTML), w) {
					t.Errorf("output lacks %q:\n%s", w, o.HTML)
				}
			}
			var links []string
			for _, l := range o.Links {
				links = append(links, l.Path)
			}
			if tc.wantLinks != nil && !reflect.DeepEqual(links, tc.wantLinks) {
				t.Errorf("links = %v, want %v", links, tc.wantLinks)
			}
			if tc.wantAssets != nil && !reflect.DeepEqual(o.Assets, tc.wantAssets) {
				t.Errorf("assets = %v, want %v", o.Assets, tc.wantAssets)
			}
			if !reflect.DeepEqual(o.Tags, []string{"site", "e:" + tc.route}) {
				t.Errorf("tags = %v", o.Tags)
			}
		})
	}
}

func TestMinifyKeepsDocumentAndEndTags(t *testing.T) {
	r := New(Options{Minify: true})
	o := r.Render(context.Background(), page("/", "<!DOCTYPE html>\n<html>\n  <head><title>x</title></head>\n  <body>\n    <p>a   b</p>\n  </body>\n</html>\n"))
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	got := string(o.HTML)
	for _, want := range []string{"<html>", "<head>", "<body>", "</p>", "</body></html>", "<p>a b</p>"} {
		if !strings.Contains(got, want) {
			t.Errorf("minified %q lacks %q", got, want)
		}
	}
}

func TestInvalidInlineScriptFailsThePage(t *testing.T) {
	r := New(Options{Minify: true})
	o := r.Render(context.Background(), page("/", "<html><body><script>let = ;</script></body></html>"))
	if o.Err == nil {
		t.Fatal("invalid inline JS minified without error")
	}
}

func TestNonHTMLRoutesAreNotProcessed(t *testing.T) {
	r := New(Options{Minify: true, Asset: assetMap})
	xml := `<?xml version="1.0"?><rss><link href=""/></rss>`
	o := r.Render(context.Background(), page("/feed.xml", xml))
	if o.Err != nil || string(o.HTML) != xml {
		t.Errorf("feed changed: %q, %v", o.HTML, o.Err)
	}
}

func TestRenderAllRunsEveryPageOnceAndSurvivesPanics(t *testing.T) {
	var pages []Page
	for i := range 200 {
		pages = append(pages, page(fmt.Sprintf("/p%d/", i), fmt.Sprintf("<p>%d</p>", i)))
	}
	pages[7].Render = func(context.Context, io.Writer) ([]string, error) { panic("boom") }
	var mu sync.Mutex
	got := map[int]Output{}
	New(Options{Workers: 4}).RenderAll(context.Background(), pages, func(i int, o Output) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[i]; dup {
			t.Errorf("page %d rendered twice", i)
		}
		got[i] = o
	})
	if len(got) != len(pages) {
		t.Fatalf("%d of %d pages rendered", len(got), len(pages))
	}
	if got[7].Err == nil || !strings.Contains(got[7].Err.Error(), "panic: boom") {
		t.Errorf("panicking page: %v", got[7].Err)
	}
	if string(got[8].HTML) != "<p>8</p>" {
		t.Errorf("page 8 = %q", got[8].HTML)
	}
}

// An <img> without width and height gets its file's; every <img> after
// the first loads lazily unless it says otherwise; in both output modes.
func TestImageAttributes(t *testing.T) {
	size := func(ref string) (int, int, bool) {
		if ref == "/assets/img/a.png" {
			return 640, 480, true
		}
		return 0, 0, false
	}
	cases := []struct {
		name, html string
		want       []string
	}{
		{"size from the file, first image eager", `<img src="/assets/img/a.png" alt="">`,
			[]string{`<img src=/_assets/img/a-DEF.png alt width="640" height="480">`}},
		{"given size kept, later images lazy", `<img src="/assets/img/a.png" width="64"><img src="/assets/img/a.png"><img src="/other.png">`,
			[]string{`<img src=/_assets/img/a-DEF.png width=64>`, `<img src=/_assets/img/a-DEF.png width="640" height="480" loading="lazy">`, `<img src=/other.png loading="lazy">`}},
		{"loading as written", `<img src="/x.png"><img src="/y.png" loading="eager">`,
			[]string{`<img src=/y.png loading=eager>`}},
	}
	for _, minify := range []bool{true, false} {
		r := New(Options{Minify: minify, Asset: assetMap, ImageSize: size})
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s, minify %v", tc.name, minify), func(t *testing.T) {
				o := r.Render(context.Background(), page("/", tc.html))
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				for _, w := range tc.want {
					if !minify {
						w = strings.NewReplacer("src=/_assets/img/a-DEF.png", `src="/_assets/img/a-DEF.png"`, "src=/other.png", `src="/other.png"`, " alt ", ` alt="" `,
							"src=/y.png", `src="/y.png"`, "width=64", `width="64"`, "loading=eager", `loading="eager"`).Replace(w)
					}
					if !strings.Contains(string(o.HTML), w) {
						t.Errorf("output lacks %q:\n%s", w, o.HTML)
					}
				}
			})
		}
	}
}
