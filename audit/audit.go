// Package audit grades a build's pages against YSlow's 23 rules, with the
// headers each file will be served with (from the build manifest), the
// rules' weights and scoring, and thresholds updated where modern
// practice differs (brotli counts as compression; fingerprinted files
// need a year and immutable; minification is judged as Lighthouse does).
// It reads the build output only: nothing is fetched.
//
// Grading costs little beside the build it grades: a page is read from
// its tokens when its tags nest as written (tokens.go), pages that read
// alike are graded once (graded.go), a build hands over each page as it
// renders instead of the audit reading it back (scans.go), and a page
// whose bytes and whatever it uses are as they were keeps its stored
// grade (stored.go, Report.BuildID).
package audit

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vergehq/verge/internal/manifest"
)

// Site is a build output to audit: its files and the headers the edge
// serves them with.
type Site struct {
	m          *manifest.Manifest
	readFile   func(*manifest.File) ([]byte, error)
	byRoute    map[string]*manifest.File
	functions  []manifest.Function
	funcs      *http.ServeMux // the functions' patterns; nil when none
	baseHost   string         // the host of the site's base URL
	minCache   sync.Map       // file path -> what minifying it saves
	textCache  sync.Map       // stylesheet path -> its text
	sheetCache sync.Map       // stylesheet path and reference -> *sheet
	gradeCache sync.Map       // page.gradeKey -> *graded
	kindCache  sync.Map       // a kind's *page -> *kindAudit
	usesCache  sync.Map       // uses, joined -> usesKey
	elems      elemMemo       // what elements record, by start tag
	scans      *Scans         // pages read as the build made them; nil for none
	sizeCache  sync.Map       // image path -> its size, or nil
}

// Open reads the build output in dir (its manifest and files).
func Open(dir string) (*Site, error) {
	m, err := manifest.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w (run verge build first)", dir, err)
	}
	return New(m, func(f *manifest.File) ([]byte, error) { return os.ReadFile(dir + f.Path) }), nil
}

// New audits the build m describes, whose files read returns: a build
// can be graded before it is written out.
func New(m *manifest.Manifest, read func(*manifest.File) ([]byte, error)) *Site {
	s := &Site{m: m, readFile: read, byRoute: map[string]*manifest.File{}, functions: m.Functions}
	if b, err := url.Parse(m.Site.BaseURL); err == nil {
		s.baseHost = b.Host
	}
	if len(m.Functions) > 0 {
		s.funcs = http.NewServeMux()
		for _, fn := range m.Functions {
			registerPattern(s.funcs, fn.Pattern)
		}
	}
	for i := range m.Files {
		if f := &m.Files[i]; f.Route != "" {
			s.byRoute[f.Route] = f
		}
	}
	return s
}

// lookup returns the file a same-site URL path is served from, and
// whether the edge answers it with a redirect first (a page asked for
// without its trailing slash, or by its index.html).
func (s *Site) lookup(p string) (f *manifest.File, redirected bool) {
	if f := s.byRoute[p]; f != nil {
		return f, false
	}
	if f := s.m.Lookup(p); f != nil {
		if dir, ok := strings.CutSuffix(p, "/index.html"); ok && s.byRoute[dir+"/"] == f {
			return f, true
		}
		return f, false
	}
	if f := s.byRoute[p+"/"]; f != nil {
		return f, true
	}
	if f := s.m.Lookup(path.Join(p, "index.html")); f != nil {
		return f, !strings.HasSuffix(p, "/")
	}
	return nil, false
}

// registerPattern adds a function's pattern to mux; one the mux refuses
// (the build validated them) is left out rather than panicking.
func registerPattern(mux *http.ServeMux, pattern string) {
	defer func() { _ = recover() }()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
}

// read returns a file's bytes.
func (s *Site) read(f *manifest.File) ([]byte, error) { return s.readFile(f) }

// text returns a stylesheet's text, read once for all the pages that
// use it.
func (s *Site) text(f *manifest.File) (string, bool) {
	if v, ok := s.textCache.Load(f.Path); ok {
		return v.(string), true
	}
	data, err := s.read(f)
	if err != nil {
		return "", false
	}
	s.textCache.Store(f.Path, string(data))
	return string(data), true
}

// Report is the audit of a whole site.
type Report struct {
	Pages  []PageReport   `json:"pages"` // by route
	Grades map[string]int `json:"grades"`
	Score  int            `json:"score"` // the mean of the pages' scores
	Grade  string         `json:"grade"`

	build string // the manifest's BuildID: the output graded
}

// BuildID is the ID of the build output the report grades (its
// manifest's BuildID): a report of the same ID holds for every page.
func (r *Report) BuildID() string { return r.build }

// PageReport is the audit of one page.
type PageReport struct {
	Route string `json:"route"`
	Score int    `json:"score"`
	Grade string `json:"grade"`
	// Rules are the page's scores, one per rule; pages graded alike
	// share them: read them, do not change them.
	Rules []RuleScore `json:"rules"`
	// Uses lists the site's paths the page's grade depends on, and Key
	// hashes them with the page, as served: an audit of a later build
	// reuses the report of a page whose Key is the same.
	Uses []string `json:"uses,omitempty"`
	Key  string   `json:"key,omitempty"`
	// Elements is the page's DOM size: YSlow scores it from 900, and
	// Lighthouse warns from about 800.
	Elements int `json:"elements"`
	// Hosts are the other hosts the page loads anything from, and
	// Preconnected those it preconnects to.
	Hosts        []string `json:"hosts,omitempty"`
	Preconnected []string `json:"preconnected,omitempty"`
}

// RuleScore is one rule's result for a page.
type RuleScore struct {
	ID        string     `json:"id"` // YSlow's, e.g. "ynumreq"
	Name      string     `json:"name"`
	Weight    int        `json:"weight"` // 0: reported, not graded
	Score     int        `json:"score"`  // 0 to 100
	Offenders []Offender `json:"offenders,omitempty"`
}

// Offender is one thing a rule holds against a page.
type Offender struct {
	What string `json:"what"` // the element or URL
	Fix  string `json:"fix"`  // what to do
}

// Audit grades every page of the site.
func (s *Site) Audit() (*Report, error) { return s.AuditReusing(nil) }

// AuditReusing grades every page of the site, taking from prev (an audit
// of an earlier build, or nil) the report of each page that, with all it
// uses, is served as it was.
func (s *Site) AuditReusing(prev *Report) (*Report, error) { return s.AuditScanned(prev, nil) }

// AuditScanned is AuditReusing taking the pages in sc (nil for none) as
// they were read while the build made them, rather than from the site's
// files.
func (s *Site) AuditScanned(prev *Report, sc *Scans) (*Report, error) {
	if sc != nil && sc.site.baseHost == s.baseHost {
		s.scans = sc
		defer func() { s.scans = nil }()
	}
	old := map[string]*PageReport{}
	if prev != nil {
		for i := range prev.Pages {
			old[prev.Pages[i].Route] = &prev.Pages[i]
		}
	}
	var pages []*manifest.File
	for i := range s.m.Files {
		if f := &s.m.Files[i]; f.Route != "" && strings.HasPrefix(f.ContentType, "text/html") {
			pages = append(pages, f)
		}
	}
	out := make([]PageReport, len(pages))
	errs := make([]error, len(pages))
	// A fixed set of workers: a goroutine per page held a stack for each
	// of 100,000 pages at once.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(pages); i = int(next.Add(1) - 1) {
				out[i], errs[i] = s.auditPage(pages[i], old[pages[i].Route])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b PageReport) int { return cmp.Compare(a.Route, b.Route) })
	r := &Report{Pages: out, Grades: map[string]int{}, build: s.m.BuildID}
	r.total()
	return r, nil
}

// auditPage grades page f, or takes op (its report in an earlier audit,
// or nil) when f and all it uses are served as they were.
func (s *Site) auditPage(f *manifest.File, op *PageReport) (PageReport, error) {
	if op != nil && op.Key != "" && len(op.Rules) == len(rules) && op.Key == s.key(f, op.Uses) {
		return *op, nil
	}
	if h, ok := s.scans.take(f.Route); ok {
		return s.auditHeld(f, h), nil
	}
	p, err := s.page(f)
	if err != nil {
		return PageReport{}, err
	}
	pr := s.grade(p)
	pr.Uses = p.uses()
	pr.Key = s.key(f, pr.Uses)
	pr.Elements, pr.Hosts, pr.Preconnected = p.elements, p.hosts(), p.preconnect
	return pr, nil
}

// total fills in the site's grades, score and grade from its pages.
func (r *Report) total() {
	total := 0
	for _, p := range r.Pages {
		r.Grades[p.Grade]++
		total += p.Score
	}
	if len(r.Pages) > 0 {
		r.Score = (total + len(r.Pages)/2) / len(r.Pages)
	}
	r.Grade = Grade(r.Score)
}

// uses lists the site's paths p's grade reads: what it references, and
// /favicon.ico, which browsers ask for unasked.
func (p *page) uses() []string {
	out := []string{"/favicon.ico"}
	for _, r := range p.refs {
		if r.path != "" && !slices.Contains(out, r.path) {
			out = append(out, r.path)
		}
	}
	return out
}

// key hashes page f as served, what each of uses resolves to, and the
// site's functions: what a page's grade depends on.
func (s *Site) key(f *manifest.File, uses []string) string {
	joined := strings.Join(uses, "\x00")
	v, ok := s.usesCache.Load(joined)
	if !ok {
		v, _ = s.usesCache.LoadOrStore(joined, s.usesKey(uses))
	}
	return s.keyWith(f, v.([]byte))
}

// usesKey is what key hashes of uses: what each resolves to, and the
// site's functions. Pages of a kind share it.
func (s *Site) usesKey(uses []string) []byte {
	var b bytes.Buffer
	for _, u := range uses {
		uf, redirected := s.lookup(u)
		if uf == nil {
			fmt.Fprintf(&b, "%s\x00-\x00", u)
			continue
		}
		fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%s\x00%d\x00%v\x00", u, uf.Path, uf.SHA256, uf.CacheControl, uf.Size, redirected)
	}
	for _, fn := range s.functions {
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00", fn.Pattern, fn.Policy.EdgeTTL, fn.Policy.BrowserTTL)
	}
	return b.Bytes()
}

// keyWith is key, given what its uses resolve to (usesKey).
func (s *Site) keyWith(f *manifest.File, usesKey []byte) string {
	var buf [256]byte
	b := strconv.AppendInt(buf[:0], int64(len(rules)), 10)
	for _, v := range []string{f.SHA256, f.CacheControl, f.ContentType} {
		b = append(append(b, 0), v...)
	}
	b = append(append(b, 0), usesKey...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// HostUse is another host pages load from.
type HostUse struct {
	Host         string `json:"host"`
	Pages        int    `json:"pages"`        // pages that load from it
	Preconnected int    `json:"preconnected"` // of those, pages that preconnect to it
}

// Hosts lists the other hosts the site's pages load from, most used
// first: each costs a DNS lookup and a connection, which <link
// rel=preconnect> starts early.
func (r *Report) Hosts() []HostUse {
	use := map[string]*HostUse{}
	for _, p := range r.Pages {
		for _, h := range p.Hosts {
			u := use[h]
			if u == nil {
				u = &HostUse{Host: h}
				use[h] = u
			}
			u.Pages++
			if slices.Contains(p.Preconnected, h) {
				u.Preconnected++
			}
		}
	}
	var out []HostUse
	for _, u := range use {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b HostUse) int {
		if c := cmp.Compare(b.Pages, a.Pages); c != 0 {
			return c
		}
		return cmp.Compare(a.Host, b.Host)
	})
	return out
}

// Worst returns the n lowest-scoring pages, lowest first.
func (r *Report) Worst(n int) []PageReport {
	s := slices.Clone(r.Pages)
	slices.SortStableFunc(s, func(a, b PageReport) int { return cmp.Compare(a.Score, b.Score) })
	return s[:min(n, len(s))]
}

// grade runs every rule on p and weighs the scores; a page that reads
// as one graded before gets that page's scores (see graded).
func (s *Site) grade(p *page) PageReport { return s.gradeKeyed(p, p.gradeKey(s)) }

// gradeKeyed is grade, given p's gradeKey.
func (s *Site) gradeKeyed(p *page, key string) PageReport {
	if v, ok := s.gradeCache.Load(key); ok {
		g := v.(*graded)
		return PageReport{Route: p.route, Score: g.score, Grade: g.grade, Rules: g.rules}
	}
	g := &graded{}
	for _, r := range rules {
		score, offenders := r.check(s, p)
		score = max(0, min(100, score))
		g.rules = append(g.rules, RuleScore{ID: r.id, Name: r.name, Weight: r.weight, Score: score, Offenders: offenders})
	}
	g.score, g.grade = weigh(g.rules)
	s.gradeCache.Store(key, g)
	return PageReport{Route: p.route, Score: g.score, Grade: g.grade, Rules: g.rules}
}

// weigh is a page's score, the weighted mean of its rules', and grade.
func weigh(rs []RuleScore) (int, string) {
	sum, weights := 0, 0
	for _, r := range rs {
		sum += r.Score * r.Weight
		weights += r.Weight
	}
	score := (sum + weights/2) / weights
	return score, Grade(score)
}

// Grade is the letter for a score: A from 90, B from 80, down to F.
func Grade(score int) string {
	switch {
	case score >= 90:
		return "A"
	case score >= 80:
		return "B"
	case score >= 70:
		return "C"
	case score >= 60:
		return "D"
	case score >= 50:
		return "E"
	}
	return "F"
}

// AtLeast reports whether grade g is min or better; grades are A to F,
// in either case.
func AtLeast(g, min string) bool { return strings.ToUpper(g) <= strings.ToUpper(min) }

// ValidGrade reports whether g is a grade, A to F in either case.
func ValidGrade(g string) bool {
	return len(g) == 1 && strings.Contains("ABCDEF", strings.ToUpper(g))
}
