package audit

// This file holds the kinds of page a build's pages come in. Pages of
// one template read alike: the same stylesheet, script and favicon, the
// same elements the rules look at, only their text differing. A scan is
// reduced to its signature (everything of it the rules and the report
// read but the route and the element count) and pages of one signature
// share one scanned page, so that 100,000 pages hold a handful, and the
// audit works out once per kind what it used to per page: the
// stylesheets' images, the references' files (the page's key), the
// grade's key, the hosts.

import (
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/vergehq/verge/internal/manifest"
)

// held is a page of a kind: the kind's page, and its own element count.
type held struct {
	kind     *page
	elements int
}

// signature appends to b everything of p the rules and the report read,
// but its route and, up to ymindom's threshold, its element count.
func (p *page) signature(b []byte) []byte {
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	list := func(l []string) {
		b = strconv.AppendInt(b, int64(len(l)), 10)
		for _, s := range l {
			str(s)
		}
	}
	refs := func(rs []ref) {
		b = strconv.AppendInt(b, int64(len(rs)), 10)
		for _, r := range rs {
			b = strconv.AppendInt(b, int64(r.kind), 10)
			str(r.url)
			str(r.path)
			str(r.host)
			str(r.elem)
			b = strconv.AppendBool(b, r.inHead)
			if r.node == nil {
				b = append(b, '-')
				continue
			}
			str(r.node.Data)
			for _, a := range r.node.Attr {
				if slimAttr(a.Key) { // what slim keeps
					str(a.Namespace)
					str(a.Key)
					str(a.Val)
				}
			}
			b = append(b, '.')
		}
	}
	refs(p.refs)
	refs(p.styleImages)
	list(p.empty)
	list(p.inline)
	list(p.preconnect)
	for _, from := range slices.Sorted(maps.Keys(p.css)) {
		str(from)
		b = strconv.AppendInt(b, int64(p.css[from].expressions), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.css[from].filters), 10)
	}
	b = append(b, ';')
	if p.elements > 900 {
		b = strconv.AppendInt(b, int64(p.elements), 10)
	}
	return b
}

// kindAudit is what an audit works out once for a kind of page.
type kindAudit struct {
	once     sync.Once
	p        *page    // the kind's page, its stylesheets read
	gradeKey string   // p's, for pages ycompress does not name
	uses     []string // shared by the kind's pages' reports
	usesKey  []byte   // what the uses resolve to, for the pages' keys
	hosts    []string
}

// kind returns what the audit works out for the kind k.
func (s *Site) kind(k *page) *kindAudit {
	v, _ := s.kindCache.LoadOrStore(k, &kindAudit{})
	ka := v.(*kindAudit)
	ka.once.Do(func() {
		p := *k
		p.refs = slices.Clip(p.refs)
		p.css = maps.Clone(p.css)
		p.file = &manifest.File{} // compressed: see auditHeld
		s.expand(&p)
		ka.p = &p
		ka.gradeKey = p.gradeKey(s)
		ka.uses = p.uses()
		ka.usesKey = s.usesKey(ka.uses)
		ka.hosts = p.hosts()
	})
	return ka
}

// auditHeld grades page f of a kind.
func (s *Site) auditHeld(f *manifest.File, h held) PageReport {
	ka := s.kind(h.kind)
	var pr PageReport
	if uncompressed(f) {
		// ycompress names the page: graded as itself.
		p := *ka.p
		p.route, p.file, p.elements = f.Route, f, h.elements
		pr = s.grade(&p)
	} else {
		pr = s.gradeKeyed(ka.p, ka.gradeKey)
		pr.Route = f.Route
	}
	pr.Uses, pr.Key = ka.uses, s.keyWith(f, ka.usesKey)
	pr.Elements, pr.Hosts, pr.Preconnected = h.elements, ka.hosts, ka.p.preconnect
	return pr
}
