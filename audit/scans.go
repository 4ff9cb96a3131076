package audit

// This file holds the pages a build hands the audit as it makes them:
// read while their HTML is in memory, so that grading a build does not
// read every page back from disk (on a 100,000-page build that was a
// third of the audit), and kept as the little the rules need of each:
// its kind (kinds.go) and its element count.

import (
	"sync"

	"golang.org/x/net/html"

	"github.com/vergehq/verge/internal/manifest"
)

// Scans are pages read as a build makes them, for AuditScanned. Safe
// for concurrent use.
type Scans struct {
	site  *Site // resolves references: only its base URL is set
	mu    sync.Mutex
	kinds map[string]*page // by signature
	pages map[string]held  // by route
}

// NewScans holds pages of a site at baseURL.
func NewScans(baseURL string) *Scans {
	return &Scans{site: New(&manifest.Manifest{Site: manifest.SiteInfo{BaseURL: baseURL}}, nil), kinds: map[string]*page{}, pages: map[string]held{}}
}

// Add reads the page at route from its HTML, which the caller may reuse
// once Add returns. A page that cannot be read is left for the audit to
// read again, and report. On nil Scans, Add does nothing.
func (sc *Scans) Add(route string, html []byte) {
	if sc == nil {
		return
	}
	p, err := scanPage(sc.site, route, html)
	if err != nil {
		return
	}
	buf := sigPool.Get().(*[]byte)
	sig := p.signature((*buf)[:0])
	sc.mu.Lock()
	k := sc.kinds[string(sig)]
	if k == nil {
		k = p
		p.route = ""
		for i := range p.refs {
			p.refs[i].node = slim(p.refs[i].node)
		}
		sc.kinds[string(sig)] = k
	}
	sc.pages[route] = held{k, p.elements}
	sc.mu.Unlock()
	*buf = sig
	sigPool.Put(buf)
}

var sigPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// take removes the page at route and returns it.
func (sc *Scans) take(route string) (held, bool) {
	if sc == nil {
		return held{}, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	h, ok := sc.pages[route]
	delete(sc.pages, route)
	return h, ok
}

// slim keeps of an element what the rules read of it after the page is
// read (its name, and the attributes yjsbottom and yimgnoscale look at),
// so a held page holds no more.
func slim(n *html.Node) *html.Node {
	if n == nil {
		return nil
	}
	out := &html.Node{Type: n.Type, DataAtom: n.DataAtom, Data: n.Data}
	for _, a := range n.Attr {
		if slimAttr(a.Key) {
			out.Attr = append(out.Attr, a)
		}
	}
	return out
}

// slimAttr reports whether slim keeps an attribute.
func slimAttr(key string) bool {
	switch key {
	case "defer", "async", "type", "width", "height":
		return true
	}
	return false
}
