package audit_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/manifest"
)

// build writes ar as a build output in a temporary directory and opens
// it. Each archive file is a built file at that URL path; the manifest is
// made up from them, with these lines of the archive's comment:
//
//	header /path cache-control: VALUE
//	header /path content-type: VALUE
//	function METHOD /path edge_ttl=N browser_ttl=N
//
// Other comment lines must be blank or start with "#".
func build(t *testing.T, ar *txtar.Archive) *audit.Site {
	t.Helper()
	_, s := buildDir(t, ar)
	return s
}

// buildDir is build, also returning the output directory.
func buildDir(t *testing.T, ar *txtar.Archive) (string, *audit.Site) {
	t.Helper()
	dir := t.TempDir()
	m := &manifest.Manifest{Schema: manifest.SchemaVersion, Site: manifest.SiteInfo{BaseURL: "https://example.com"}}
	for _, f := range ar.Files {
		name := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(f.Data)
		mf := manifest.File{Path: "/" + f.Name, Kind: manifest.KindStatic, Size: int64(len(f.Data)),
			SHA256: hex.EncodeToString(sum[:]), ContentType: contentType(f.Name), CacheControl: "public, max-age=3600"}
		switch {
		case strings.HasSuffix(f.Name, ".html"):
			mf.Kind, mf.CacheControl = manifest.KindPage, "public, max-age=60, must-revalidate"
			mf.Route = mf.Path
			if strings.HasSuffix(mf.Path, "/index.html") {
				mf.Route = strings.TrimSuffix(mf.Path, "index.html")
			}
		case strings.HasPrefix(f.Name, "_assets/"):
			mf.Kind, mf.CacheControl = manifest.KindAsset, "public, max-age=31536000, immutable"
		}
		m.Files = append(m.Files, mf)
	}
	slices.SortFunc(m.Files, func(a, b manifest.File) int { return strings.Compare(a.Path, b.Path) })
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || strings.HasPrefix(fields[0], "#"):
		case fields[0] == "header" && len(fields) >= 4:
			f := m.Lookup(fields[1])
			if f == nil {
				t.Fatalf("archive comment: no file %s", fields[1])
			}
			value := strings.Join(fields[3:], " ")
			switch strings.ToLower(fields[2]) {
			case "cache-control:":
				f.CacheControl = value
			case "content-type:":
				f.ContentType = value
			default:
				t.Fatalf("archive comment: unknown header in %q", line)
			}
		case fields[0] == "function" && len(fields) >= 3:
			fn := manifest.Function{Pattern: fields[1] + " " + fields[2], Method: fields[1], Path: fields[2]}
			for _, kv := range fields[3:] {
				k, v, _ := strings.Cut(kv, "=")
				n, err := strconv.ParseInt(v, 10, 64)
				switch {
				case err == nil && k == "edge_ttl":
					fn.Policy.EdgeTTL = n
				case err == nil && k == "browser_ttl":
					fn.Policy.BrowserTTL = n
				default:
					t.Fatalf("archive comment: bad %q in %q", kv, line)
				}
			}
			m.Functions = append(m.Functions, fn)
		default:
			t.Fatalf("archive comment: cannot read %q", line)
		}
	}
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	s, err := audit.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, s
}

func contentType(name string) string {
	types := map[string]string{
		".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
		".js": "text/javascript; charset=utf-8", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
		".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif",
		".ico": "image/x-icon", ".woff2": "font/woff2",
	}
	if ct, ok := types[path.Ext(name)]; ok {
		return ct
	}
	return "application/octet-stream"
}

// fixture reads testdata/name.txtar and adds the files given.
func fixture(t *testing.T, name string, extra ...txtar.File) *txtar.Archive {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	ar.Files = append(ar.Files, extra...)
	return ar
}

// auditSite builds ar and audits it.
func auditSite(t *testing.T, ar *txtar.Archive) *audit.Report {
	t.Helper()
	r, err := build(t, ar).Audit()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pageOf returns the report of the page at route.
func pageOf(t *testing.T, r *audit.Report, route string) audit.PageReport {
	t.Helper()
	for _, p := range r.Pages {
		if p.Route == route {
			return p
		}
	}
	var routes []string
	for _, p := range r.Pages {
		routes = append(routes, p.Route)
	}
	t.Fatalf("no page %s; pages: %v", route, routes)
	return audit.PageReport{}
}

// ruleOf returns the result of rule id for p.
func ruleOf(t *testing.T, p audit.PageReport, id string) audit.RuleScore {
	t.Helper()
	for _, r := range p.Rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s: no rule %s", p.Route, id)
	return audit.RuleScore{}
}

func TestOpenWithoutManifest(t *testing.T) {
	if _, err := audit.Open(t.TempDir()); err == nil {
		t.Fatal("Open of a directory without a manifest: no error")
	}
}

func TestGrade(t *testing.T) {
	for score, want := range map[int]string{100: "A", 90: "A", 89: "B", 80: "B", 79: "C", 70: "C",
		69: "D", 60: "D", 59: "E", 50: "E", 49: "F", 0: "F"} {
		if got := audit.Grade(score); got != want {
			t.Errorf("Grade(%d) = %s, want %s", score, got, want)
		}
	}
}

func TestAtLeast(t *testing.T) {
	tests := []struct {
		g, min string
		want   bool
	}{
		{"A", "A", true}, {"A", "B", true}, {"B", "B", true}, {"B", "A", false},
		{"C", "B", false}, {"E", "F", true}, {"F", "E", false}, {"D", "E", true}, {"E", "D", false},
	}
	for _, tt := range tests {
		if got := audit.AtLeast(tt.g, tt.min); got != tt.want {
			t.Errorf("AtLeast(%q, %q) = %v, want %v", tt.g, tt.min, got, tt.want)
		}
	}
}

func TestAtLeastLowercaseMin(t *testing.T) {
	if audit.AtLeast("F", "b") {
		t.Error(`AtLeast("F", "b") = true, want false`)
	}
}

// TestPageGrade checks the weighted average on a page whose rule scores
// are known: yemptysrc 0 (weight 30), ycdn 90 (6), yjsbottom 95 (4),
// ycsstop 89 (4), yexpires 89 (10), yfavicon 95 (2), the 16 others 100;
// yexternal has an offender but weighs nothing.
func TestPageGrade(t *testing.T) {
	p := pageOf(t, auditSite(t, fixture(t, "grade")), "/")
	want := map[string]int{"yemptysrc": 0, "ycdn": 90, "yjsbottom": 95, "ycsstop": 89, "yexpires": 89, "yfavicon": 95}
	sum, weights := 0, 0
	for _, r := range p.Rules {
		w, ok := want[r.ID]
		if !ok {
			w = 100
		}
		if r.Score != w {
			t.Errorf("%s = %d, want %d (offenders %v)", r.ID, r.Score, w, r.Offenders)
		}
		sum += r.Score * r.Weight
		weights += r.Weight
	}
	if len(p.Rules) != 23 || weights != 119 {
		t.Errorf("%d rules weighing %d, want 23 weighing 119", len(p.Rules), weights)
	}
	if r := ruleOf(t, p, "yexternal"); r.Weight != 0 || len(r.Offenders) != 1 {
		t.Errorf("yexternal: weight %d, %d offenders, want weight 0, 1 offender", r.Weight, len(r.Offenders))
	}
	// (100*119 - 0*30 - 10*6 - 5*4 - 11*4 - 11*10 - 5*2) / 119 = 8656/119 = 72.7;
	// with yexternal weighing YSlow's 4 it would be 9056/123 = 73.6.
	if sum != 8656 || p.Score != 73 || p.Grade != "C" {
		t.Errorf("weighted sum %d, score %d, grade %s; want 8656, 73, C", sum, p.Score, p.Grade)
	}
}

// TestReport checks the site's report: pages by route, grade counts, the
// mean score and Worst.
func TestReport(t *testing.T) {
	r := auditSite(t, fixture(t, "report"))
	var got []string
	for _, p := range r.Pages {
		got = append(got, p.Route+" "+strconv.Itoa(p.Score)+" "+p.Grade)
	}
	// /c/: yemptysrc 0: 8900/119 = 74.8; /f/: and yexpires 0: 7900/119 = 66.4.
	want := []string{"/ 100 A", "/about.html 100 A", "/c/ 75 C", "/f/ 66 D"}
	if !slices.Equal(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	if len(r.Grades) != 3 || r.Grades["A"] != 2 || r.Grades["C"] != 1 || r.Grades["D"] != 1 {
		t.Errorf("grades %v, want A:2 C:1 D:1", r.Grades)
	}
	// (100 + 100 + 75 + 66) / 4 = 85.25
	if r.Score != 85 || r.Grade != "B" {
		t.Errorf("site score %d %s, want 85 B", r.Score, r.Grade)
	}
	routes := func(ps []audit.PageReport) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Route)
		}
		return out
	}
	for n, want := range map[int][]string{
		0:  nil,
		1:  {"/f/"},
		3:  {"/f/", "/c/", "/"}, // ties keep route order
		10: {"/f/", "/c/", "/", "/about.html"},
	} {
		if got := routes(r.Worst(n)); !slices.Equal(got, want) {
			t.Errorf("Worst(%d) = %q, want %q", n, got, want)
		}
	}
	if r.Pages[0].Route != "/" {
		t.Error("Worst reordered the report's pages")
	}
}

// The report lists the other hosts pages load from (not those they only
// link to), most used first, with how many pages preconnect to each; and
// each page's element count.
func TestHostsAndElements(t *testing.T) {
	r := auditSite(t, fixture(t, "hosts"))
	want := []audit.HostUse{{Host: "cdn.example.net", Pages: 2, Preconnected: 1}, {Host: "img.example.org", Pages: 1}}
	if got := r.Hosts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Hosts() = %+v, want %+v", got, want)
	}
	// html, head, title, link, body, script, img, a; html, head, title,
	// body, script, p, p.
	for route, n := range map[string]int{"/": 8, "/other/": 7} {
		if got := pageOf(t, r, route).Elements; got != n {
			t.Errorf("%s: %d elements, want %d", route, got, n)
		}
	}
}

// A report stored by a build (Encode) reads back (Decode) as it was.
func TestEncodeDecode(t *testing.T) {
	for _, name := range []string{"report", "hosts", "grade"} {
		r := auditSite(t, fixture(t, name))
		data, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want, err := r.MarshalStored(); err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s: Encode wrote\n%s\njson.Marshal\n%s (%v)", name, data, want, err)
		}
		d, err := audit.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, r) {
			t.Errorf("%s: decoded %+v\nwant %+v", name, d, r)
		}
	}
}

// Pages handed over as a build makes them (Scans) grade as the same pages
// read from the output, which the audit then does not read.
func TestAuditScanned(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		ar := site(t, name)
		dir, s := buildDir(t, ar)
		want, err := s.Audit()
		if err != nil {
			t.Fatal(err)
		}
		sc := audit.NewScans("https://example.com")
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".html") {
				continue
			}
			route := "/" + strings.TrimSuffix(f.Name, "index.html")
			sc.Add(route, f.Data)
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(f.Name))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AuditScanned(nil, sc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanned %+v\nwant %+v", name, got, want)
		}
	}
}
