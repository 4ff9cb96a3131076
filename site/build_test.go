package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	imgpng "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/site"
)

func readOut(t *testing.T, out, p string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBuildValidSite(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	out := filepath.Join(dir, "dist")
	rep, err := build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	// 3 posts, 2 pages of /posts/, home, tags index, 2 tag pages (go has
	// 2 posts, web 2), about.
	wantPages := []string{"/", "/about/", "/posts/", "/posts/page/2/", "/posts/first/", "/posts/second/", "/posts/third/", "/tags/", "/tags/go/", "/tags/web/"}
	if rep.Pages != len(wantPages) {
		t.Errorf("pages = %d, want %d", rep.Pages, len(wantPages))
	}
	m, err := manifest.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	// A web server running as another user can read the output.
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("output directory mode %v (%v), want 0755", st.Mode().Perm(), err)
	}
	for _, r := range wantPages {
		if f := m.Lookup("/" + strings.TrimPrefix(r+"index.html", "/")); f == nil || f.Route != r {
			t.Errorf("manifest lacks page %s", r)
		}
	}
	if m.Lookup("/posts/wip/index.html") != nil {
		t.Error("draft was built")
	}

	post := readOut(t, out, "posts/first/index.html")
	for _, want := range []string{
		`<h2 id=a-heading>`, // heading IDs
		`<a class=anchor href=#a-heading aria-hidden=true>#</a>`, // heading anchor link, hidden from screen readers
		`<pre style=background-color:`,                           // chroma highlighting, inline styles
		`rating 3`,                                               // typed front matter
		`integrity=sha384-`,                                      // SRI on the stylesheet
		`<script type=module src=/_assets/js/main-`,              // fingerprinted script
		`</body></html>`,                                         // end tags kept by the minifier
		`<span>one</span>`,                                       // data file
	} {
		if !strings.Contains(post, want) {
			t.Errorf("posts/first/index.html lacks %q:\n%s", want, post)
		}
	}
	second := readOut(t, out, "posts/second/index.html")
	for _, want := range []string{"<table>", `class=footnotes`, `src=/_assets/`} {
		if !strings.Contains(second, want) {
			t.Errorf("posts/second/index.html lacks %q:\n%s", want, second)
		}
	}
	if strings.Contains(second, "/assets/img/logo.svg") {
		t.Error("asset reference by source path was not rewritten")
	}
	home := readOut(t, out, "index.html")
	if !strings.Contains(home, "Hand-written summary.") || !strings.Contains(home, "<p>Third.") {
		t.Errorf("home lacks summaries:\n%s", home)
	}
	if strings.Index(home, "Third post") > strings.Index(home, "Second post") {
		t.Error("home is not newest first")
	}

	// Tags: each page says what it read.
	first := m.Lookup("/posts/first/index.html")
	for _, tag := range []string{"site", "e:posts/first", "a:css/main.css", "a:js/main.js", "d:nav"} {
		if !contains(first.Tags, tag) {
			t.Errorf("posts/first tags %v lack %q", first.Tags, tag)
		}
	}
	if contains(first.Tags, "e:posts/second") {
		t.Errorf("posts/first depends on a post it does not show: %v", first.Tags)
	}
	// A list carries the tags of the entries it shows, not of the others.
	homeRec := m.Lookup("/index.html")
	if !contains(homeRec.Tags, "c:posts") || !contains(homeRec.Tags, "e:posts/third") || contains(homeRec.Tags, "e:posts/first") {
		t.Errorf("home (latest 2) tags = %v", homeRec.Tags)
	}
	if tagPage := m.Lookup("/tags/go/index.html"); !contains(tagPage.Tags, "t:tags/go") {
		t.Errorf("tag page tags = %v", tagPage.Tags)
	}

	// Cache policy and hashes.
	if first.CacheControl != "public, max-age=60, must-revalidate" || first.CDNCacheControl == "" {
		t.Errorf("page cache policy = %q / %q", first.CacheControl, first.CDNCacheControl)
	}
	var css *manifest.File
	for i := range m.Files {
		f := &m.Files[i]
		data := readOut(t, out, f.Path)
		if manifest.SHA256([]byte(data)) != f.SHA256 || int64(len(data)) != f.Size || manifest.AssetHash(f.Path, []byte(data)) != f.AssetHash {
			t.Errorf("%s: manifest hashes do not match the file", f.Path)
		}
		if strings.HasSuffix(f.Path, ".css") {
			css = f
		}
	}
	if css == nil || css.Kind != manifest.KindAsset || css.CacheControl != "public, max-age=31536000, immutable" || css.Integrity == "" {
		t.Errorf("css record = %+v", css)
	}
	if robots := m.Lookup("/robots.txt"); robots == nil || robots.Kind != manifest.KindStatic {
		t.Errorf("static file record = %+v", robots)
	}
	if len(m.Functions) != 1 || m.Functions[0].Pattern != "GET /api/related/{slug}" || m.Functions[0].Policy.EdgeTTL != 3600 ||
		!strings.Contains(m.Functions[0].Policy.CDNCacheControl, "stale-while-revalidate=60") {
		t.Errorf("functions = %+v", m.Functions)
	}

	headers := readOut(t, out, "_headers")
	for _, want := range []string{"/_assets/*\n  Cache-Control: public, max-age=31536000, immutable", "/posts/first/\n  Cache-Control: public, max-age=60, must-revalidate\n  CDN-Cache-Control: public, max-age=31536000\n  Cache-Tag: "} {
		if !strings.Contains(headers, want) {
			t.Errorf("_headers lacks %q:\n%s", want, headers)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tree reads every file under dir.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestBuildIsDeterministic(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if _, err := build(t, dir, a); err != nil {
		t.Fatal(err)
	}
	if _, err := build(t, dir, b); err != nil {
		t.Fatal(err)
	}
	ta, tb := tree(t, a), tree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%d files vs %d", len(ta), len(tb))
	}
	for p, data := range ta {
		if tb[p] != data {
			t.Errorf("%s differs between two builds of the same sources", p)
		}
	}
}

func TestIncrementalBuildRedoesOnlyWhatChanged(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	rep, err := build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rendered != 0 || !rep.Unchanged {
		t.Fatalf("second build rendered %d pages, unchanged=%v; want 0, true", rep.Rendered, rep.Unchanged)
	}
	before := tree(t, out)

	// Edit the body of the oldest post: only its page and the lists that
	// show it change (/posts/page/2/ and /tags/go/, /tags/web/ show it).
	p := filepath.Join(dir, "content", "posts", "first.md")
	src, _ := os.ReadFile(p)
	writeFile(t, p, strings.Replace(string(src), "The first post", "The edited first post", 1))
	rep, err = build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rendered != 4 || rep.Unchanged {
		t.Errorf("after a post edit: rendered %d, want 4 (the post, posts page 2, two tag pages)", rep.Rendered)
	}
	after := tree(t, out)
	if !strings.Contains(after["posts/first/index.html"], "The edited first post") {
		t.Error("edited post not rebuilt")
	}
	if after["posts/second/index.html"] != before["posts/second/index.html"] {
		t.Error("an unrelated page changed")
	}

	// A fresh build of the final sources gives the same output.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, err := build(t, dir, fresh); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(readOut(t, fresh, manifest.Path)), []byte(after[manifest.Path])) {
		t.Error("incremental build's manifest differs from a fresh build's")
	}

	// A new post joins the lists: home, posts pages, its tag page, tags index.
	writeFile(t, filepath.Join(dir, "content", "posts", "fourth.md"), "---\ntitle: Fourth\ndate: 2024-05-01\ntags: [web]\n---\nNew.\n")
	rep, err = build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	_ = json.Unmarshal([]byte(readOut(t, out, manifest.Path)), &m)
	if m.Lookup("/posts/fourth/index.html") == nil || rep.Reused == 0 {
		t.Errorf("new post: rendered %d reused %d", rep.Rendered, rep.Reused)
	}
	if !strings.Contains(readOut(t, out, "index.html"), "Fourth") {
		t.Error("home does not list the new post")
	}
}

func TestRebuildRepairsAndRefreshesTheOutput(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	// A cache lifetime changes no page's bytes but must reach the output.
	cfg := readOut(t, dir, "verge.toml")
	writeFile(t, filepath.Join(dir, "verge.toml"), cfg+"\n[cache]\nhtml_edge_max_age = 600\n")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	if h := readOut(t, out, "_headers"); !strings.Contains(h, "CDN-Cache-Control: public, max-age=600") {
		t.Errorf("_headers kept the old edge lifetime:\n%s", h)
	}
	// Files deleted from dist/ by hand come back, even when the sources
	// changed in a way that renders the same.
	for _, p := range []string{"about/index.html", "robots.txt"} {
		if err := os.Remove(filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	post := filepath.Join(dir, "content", "posts", "third.md")
	writeFile(t, post, readOut(t, dir, "content/posts/third.md")+"\n")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"about/index.html", "robots.txt"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s was not restored: %v", p, err)
		}
	}
}

func TestTagSpellingChangeRebuildsTheTagsPage(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	// A term takes its name from the newest entry with it: third.md.
	p := filepath.Join(dir, "content", "posts", "third.md")
	writeFile(t, p, strings.Replace(readOut(t, dir, "content/posts/third.md"), "tags: [web]", "tags: [WEB]", 1))
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	if tags := readOut(t, out, "tags/index.html"); !strings.Contains(tags, "WEB (2)") {
		t.Errorf("/tags/ still shows the old spelling:\n%s", tags)
	}
}

func TestOutputDirFromConfig(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	abs := filepath.Join(t.TempDir(), "public")
	for _, tc := range []struct{ setting, want string }{
		{"public", filepath.Join(dir, "public")},
		{abs, abs},
	} {
		writeFile(t, filepath.Join(dir, "verge.toml"), "output_dir = \""+tc.setting+"\"\n")
		rep, err := declareTestSite(dir).Build(context.Background(), site.BuildOptions{BuildKey: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OutDir != tc.want {
			t.Errorf("output_dir %q: built into %s, want %s", tc.setting, rep.OutDir, tc.want)
		}
	}
}

// Images without width and height get their file's, and every one after
// the first loads lazily; a page whose image changes size is rendered
// again, though its URL (a static file's) stays the same.
func TestImagesGetTheirSize(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	png := func(w, h int) []byte {
		var buf bytes.Buffer
		if err := imgpng.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	writeFile(t, filepath.Join(dir, "static", "photo.png"), string(png(120, 80)))
	writeFile(t, filepath.Join(dir, "content", "posts", "photos.md"),
		"---\ntitle: Photos\ndate: 2024-05-01\n---\n\n![first](/photo.png)\n\n![second](/photo.png)\n")
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	html := readOut(t, out, "posts/photos/index.html")
	for _, want := range []string{`alt=first width="120" height="80">`, `alt=second width="120" height="80" loading="lazy">`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q:\n%s", want, html)
		}
	}
	writeFile(t, filepath.Join(dir, "static", "photo.png"), string(png(60, 40)))
	rep, err := build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if html := readOut(t, out, "posts/photos/index.html"); !strings.Contains(html, `width="60" height="40"`) || rep.Rendered == 0 {
		t.Errorf("after the image changed (%d rendered):\n%s", rep.Rendered, html)
	}
}

// A list shows an entry's title, date and summary, so an edit to the body
// that leaves those as they were rebuilds the entry's page alone, while
// an edit to what the list shows rebuilds the lists too.
func TestBodyEditLeavesListsAlone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string // first.md
		old, new string
		rendered int
	}{
		{"front matter summary", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\nsummary: Short.\n---\nThe first post.\n\nMore body.\n", "More body", "Edited body", 1},
		{"after more", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\n---\nThe first post.\n<!--more-->\nMore body.\n", "More body", "Edited body", 1},
		{"before more", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\n---\nThe first post.\n<!--more-->\nMore body.\n", "The first post", "The edited post", 4},
		{"first paragraph summary, later paragraph", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\n---\nThe first post.\n\nMore body.\n", "More body", "Edited body", 1},
		{"first paragraph summary, first paragraph", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\n---\nThe first post.\n\nMore body.\n", "The first post", "The edited post", 4},
		{"first paragraph summary, markup only", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\n---\nThe first post.\n\nMore body.\n", "The first post.", "The *first* post.", 1},
		{"front matter field no page reads", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\nsummary: Short.\n---\nBody.\n", "summary: Short.", "summary: Short.\nunread: 1", 0},
		{"title", "---\ntitle: First post\ndate: 2024-01-01\ntags: [Go, web]\nsummary: Short.\n---\nBody.\n", "title: First post", "title: Renamed post", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := extractSite(t, "ok")
			out := filepath.Join(dir, "dist")
			p := filepath.Join(dir, "content", "posts", "first.md")
			writeFile(t, p, tc.src)
			if _, err := build(t, dir, out); err != nil {
				t.Fatal(err)
			}
			writeFile(t, p, strings.Replace(tc.src, tc.old, tc.new, 1))
			rep, err := build(t, dir, out)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rendered != tc.rendered {
				t.Errorf("rendered %d pages, want %d", rep.Rendered, tc.rendered)
			}
			fresh := filepath.Join(t.TempDir(), "fresh")
			if _, err := build(t, dir, fresh); err != nil {
				t.Fatal(err)
			}
			if readOut(t, fresh, manifest.Path) != readOut(t, out, manifest.Path) {
				t.Error("the incremental build differs from a fresh one")
			}
		})
	}
}

// Where a deploy goes and where purges are sent change no page: editing
// those sections of verge.toml rebuilds nothing (and so purges nothing).
func TestDeploySettingsChangeNoPage(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, site.ConfigFile)
	data, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(data)+"\n[purge]\nedges = [\"http://127.0.0.1:9\"]\n\n[cloudflare]\naccount_id = \"a\"\nscript = \"s\"\n")
	rep, err := build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rendered != 0 {
		t.Errorf("a deploy settings edit rendered %d pages", rep.Rendered)
	}
	// Any value TOML takes is fine in [params], NaN and infinities too.
	writeFile(t, cfg, strings.Replace(string(data), "[params]\n", "[params]\nratio = nan\nlimit = inf\n", 1))
	if _, err := build(t, dir, out); err != nil {
		t.Errorf("params with nan and inf: %v", err)
	}
}
