package audit

// This file holds what an element the rules read records of a page,
// worked out once for all the pages that write the element alike: the
// stylesheet link and the script of a template are written the same on
// every page, and resolving their URLs and describing them for reports
// was most of what was left of a scan. An element is known by its start
// tag as written, and whether it is in <head>; it is not kept when what
// it records depends on the page (a relative URL, a style attribute, a
// script's text).

import (
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// elemEffect is what an element records of a page.
type elemEffect struct {
	refs       []ref
	empty      []string
	preconnect []string
	inline     []string
}

// memoLimit bounds the elements a site keeps: pages' own images are
// written once each.
const memoLimit = 4096

// elemMemo holds a site's elements, by start tag, out of <head> and in.
type elemMemo struct {
	mu    sync.RWMutex
	byTag [2]map[string]*elemEffect
}

func headIndex(inHead bool) int {
	if inHead {
		return 1
	}
	return 0
}

// memo is what the element of start tag tag records, when known.
func (s *Site) memo(tag []byte, inHead bool) *elemEffect {
	if tag == nil {
		return nil
	}
	s.elems.mu.RLock()
	e := s.elems.byTag[headIndex(inHead)][string(tag)]
	s.elems.mu.RUnlock()
	return e
}

func (s *Site) remember(tag []byte, inHead bool, e *elemEffect) {
	s.elems.mu.Lock()
	defer s.elems.mu.Unlock()
	m := &s.elems.byTag[headIndex(inHead)]
	if *m == nil {
		*m = map[string]*elemEffect{}
	}
	if len(*m) < memoLimit {
		(*m)[string(tag)] = e
	}
}

// memoTag is the current start tag as written, when what its element
// records can be kept (read in place, no style attribute), else nil.
func (t *tokenScan) memoTag() []byte {
	if t.z != &t.fast {
		return nil
	}
	if _, styled := t.fast.style(); styled {
		return nil
	}
	return t.fast.data[t.fast.tagStart:t.fast.pos]
}

// elementMemo records element n of the page, keeping what it records
// under tag (nil: not kept) when that holds for any page.
func (t *tokenScan) elementMemo(n *html.Node, inHead bool, tag []byte) {
	if tag == nil {
		t.p.element(t.s, t.base, n, inHead)
		return
	}
	var q page
	q.element(t.s, t.base, n, inHead)
	e := &elemEffect{refs: q.refs, empty: q.empty, preconnect: q.preconnect, inline: q.inline}
	t.p.apply(e)
	if !q.relative && q.styles == 0 && len(q.inline) == 0 && (n.DataAtom != atom.Script || len(q.refs) == 1) {
		t.s.remember(tag, inHead, e) // a script's text is not read: it has a src
	}
}

// apply records e of p.
func (p *page) apply(e *elemEffect) {
	p.refs = append(p.refs, e.refs...)
	p.empty = append(p.empty, e.empty...)
	p.preconnect = append(p.preconnect, e.preconnect...)
	p.inline = append(p.inline, e.inline...)
}

// baseFree reports whether raw, a URL as written, resolves the same
// from any page: absolute, or a path from the root.
func baseFree(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	return err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/")
}
