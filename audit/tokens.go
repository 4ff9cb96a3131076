package audit

// This file holds the fast way of reading a page: from its tokens, with
// no parse tree. Parsing was most of an audit's cost (65 µs of a 3 KB
// page's 90), and a build's pages are written the way the tree comes
// out: each tag closed by its own end tag, head before body, tables
// with their tbody. For such a page the elements, in order, with their
// attributes and whether they sit in <head>, are the start tags as
// written, and that is all the rules read. scanTokens follows the
// parser's tree construction (golang.org/x/net/html, section 13.2.6 of
// the HTML standard) only as far as that holds, and gives up, for
// scanTree to parse the page, at anything where the tree would differ
// from the tags: an end tag closing anything but the innermost element,
// a tag that closes others implicitly (a block inside <p>, an <li> in
// an open <li>), formatting elements the parser would reopen or move,
// tables out of shape (content foster-parented, implied tbody or tr),
// foreign content (<svg>, <math>), <template>, <select>, frames. The
// test holds the two to the same result on every fixture and on fuzzed
// input.

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The parser's insertion modes a page goes through.
const (
	modeInitial = iota
	modeBeforeHTML
	modeBeforeHead
	modeInHead
	modeAfterHead
	modeInBody
	modeAfterBody
	modeAfterAfterBody
)

// whitespace is the parser's.
const whitespace = " \t\r\n\f"

// maxDepth keeps clear of the parser's limit of 512 open elements, past
// which it fails the page: scanTree reports that.
const maxDepth = 500

type openElem struct {
	a    atom.Atom
	name string
}

// tokenScan is one page being read from its tokens.
type tokenScan struct {
	p     *page
	s     *Site
	base  *url.URL
	z     tokens
	stack []openElem // open elements in <body>, innermost last
	// raw is the raw-text element (script, style, title, ...) whose text
	// comes next; rawText collects a script's or style's.
	raw     *html.Node
	rawHead bool
	rawText []byte
	rawTag  []byte      // the raw-text element's start tag, when memoTag gave it
	rawMemo *elemEffect // what the raw-text element records, when known
	hasAttr bool        // the current tag has attributes
	fast    fastTokens
	slow    slowTokens
}

// scanTokens reads p's elements from data's tokens, reporting false when
// the page's tags do not nest as written (p is then partly filled).
func (p *page) scanTokens(s *Site, base *url.URL, data []byte) bool {
	ok, unsure := p.scanWith(s, base, data, false)
	if unsure {
		*p = page{route: p.route}
		ok, _ = p.scanWith(s, base, data, true)
	}
	return ok
}

// scanWith is scanTokens reading the tokens in place (see fastTokens),
// or with html.Tokenizer when slow. unsure reports that fastTokens gave
// the page up, for the Tokenizer to read it.
func (p *page) scanWith(s *Site, base *url.URL, data []byte, slow bool) (ok, unsure bool) {
	t := scanPool.Get().(*tokenScan)
	defer t.release()
	t.p, t.s, t.base = p, s, base
	if slow {
		t.slow.z = html.NewTokenizer(bytes.NewReader(data))
		t.z = &t.slow
	} else {
		t.fast.reset(data)
		t.z = &t.fast
	}
	return t.scan(), !slow && t.fast.unsure
}

// scan reads the page's elements from its tokens (see scanTokens).
func (t *tokenScan) scan() bool {
	p := t.p
	p.elements = 3 // html, head and body: the parser makes them when not written
	mode := modeInitial
	for {
		tt := t.z.Next()
		if tt == html.ErrorToken {
			if t.z.Err() != io.EOF {
				return false
			}
			t.endRaw()
			return true
		}
		if t.raw != nil {
			switch tt {
			case html.TextToken:
				if t.raw.DataAtom == atom.Script || t.raw.DataAtom == atom.Style {
					t.rawText = append(t.rawText, t.z.Text()...)
				}
			case html.EndTagToken:
				t.endRaw()
			default:
				return false
			}
			continue
		}
		switch tt {
		case html.CommentToken:
			continue
		case html.DoctypeToken:
			if mode == modeInitial {
				mode = modeBeforeHTML
			}
			continue
		case html.TextToken:
			ok := true
			mode, ok = t.text(mode)
			if !ok {
				return false
			}
			continue
		}
		name, hasAttr := t.z.TagName()
		a := atom.Lookup(name)
		data := a.String()
		if a == 0 {
			data = string(name)
		}
		if tt == html.EndTagToken {
			var ok bool
			if mode, ok = t.endTag(mode, a, data); !ok {
				return false
			}
			continue
		}
		// A start tag (self-closing is ignored on HTML elements, as the
		// parser does).
		t.hasAttr = hasAttr
		for {
			next, done, ok := t.startTag(mode, a, data)
			if !ok {
				return false
			}
			mode = next
			if done {
				break
			}
		}
	}
}

// scanPool keeps scans' buffers (the open elements, attributes, raw
// text) from page to page: growing them anew was a sixth of a scan.
var scanPool = sync.Pool{New: func() any { return new(tokenScan) }}

func (t *tokenScan) release() {
	*t = tokenScan{stack: t.stack[:0], rawText: t.rawText[:0],
		fast: fastTokens{attr: t.fast.attr[:0], buf: t.fast.buf[:0], textBuf: t.fast.textBuf[:0]},
		slow: slowTokens{raws: t.slow.raws[:0]}}
	scanPool.Put(t)
}

// attrs are the start tag's attributes, for an element the rules read
// (see emit): most tags are counted and nothing more (but for a style
// attribute), and making strings of their attributes was most of the
// scan's cost. Called once a tag, while it is the current token.
func (t *tokenScan) attrs() []html.Attribute {
	if !t.hasAttr {
		return []html.Attribute{}
	}
	return t.z.attrs()
}

// style records the style attribute of the current tag, an element the
// rules read nothing else of.
func (t *tokenScan) style() {
	if !t.hasAttr {
		return
	}
	if v, ok := t.z.style(); ok {
		t.p.style(t.s, t.base, v)
	}
}

// readElement reports whether page.element reads an element of kind a
// for more than its style attribute.
func readElement(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Link, atom.Img, atom.Iframe, atom.Frame, atom.Source, atom.Input, atom.Style:
		return true
	}
	return false
}

// text handles a text token outside raw text.
func (t *tokenScan) text(mode int) (int, bool) {
	switch mode {
	case modeInBody:
		if t.tableish() {
			// Text in a table is foster-parented unless blank.
			d := strings.ReplaceAll(string(t.z.Text()), "\x00", "")
			return mode, strings.Trim(d, whitespace) == ""
		}
		return mode, true
	case modeAfterBody, modeAfterAfterBody:
		return mode, strings.TrimLeft(string(t.z.Text()), whitespace) == ""
	}
	if strings.TrimLeft(string(t.z.Text()), whitespace) == "" {
		return mode, true
	}
	// Text before <body> starts it (implying html and head as needed).
	return modeInBody, true
}

// startTag handles a start tag in mode: the mode it leaves, whether the
// tag is consumed (else it is handled again in the new mode, as the
// parser reprocesses it), and false when the tree would differ.
func (t *tokenScan) startTag(mode int, a atom.Atom, data string) (next int, done, ok bool) {
	switch mode {
	case modeInitial:
		return modeBeforeHTML, false, true
	case modeBeforeHTML:
		if a == atom.Html {
			t.emit(a, data, false)
			return modeBeforeHead, true, true
		}
		return modeBeforeHead, false, true
	case modeBeforeHead:
		switch a {
		case atom.Head:
			t.emit(a, data, true)
			return modeInHead, true, true
		case atom.Html:
			return mode, true, false
		}
		return modeInHead, false, true
	case modeInHead, modeAfterHead:
		switch a {
		case atom.Html, atom.Template, atom.Frameset:
			return mode, true, false
		case atom.Head:
			return mode, true, true // ignored
		case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
			t.p.elements++
			t.emit(a, data, true)
			return mode, true, true
		case atom.Noscript, atom.Script, atom.Title, atom.Noframes, atom.Style:
			if a == atom.Noscript && mode == modeAfterHead {
				break // not one the parser puts back in head
			}
			t.startRaw(a, data, true)
			return mode, true, true
		case atom.Body:
			if mode == modeAfterHead {
				t.emit(a, data, false)
				return modeInBody, true, true
			}
		}
		if mode == modeInHead {
			return modeAfterHead, false, true // head ends
		}
		return modeInBody, false, true // body starts
	case modeInBody:
		return mode, true, t.bodyStart(a, data)
	}
	return mode, true, false
}

// bodyStart handles a start tag in body, or reports false.
func (t *tokenScan) bodyStart(a atom.Atom, data string) bool {
	if t.tableish() {
		cur := t.top()
		switch {
		case a == atom.Style || a == atom.Script:
			t.startRaw(a, data, false)
		case cur == atom.Table && (a == atom.Tbody || a == atom.Thead || a == atom.Tfoot),
			(cur == atom.Tbody || cur == atom.Thead || cur == atom.Tfoot) && a == atom.Tr,
			cur == atom.Tr && (a == atom.Td || a == atom.Th):
			return t.push(a, data)
		default:
			return false // foster-parented, or implying elements
		}
		return true
	}
	switch a {
	case atom.Html, atom.Body, atom.Frameset, atom.Template, atom.Plaintext, atom.Image, atom.Select,
		atom.Math, atom.Svg, atom.Caption, atom.Col, atom.Colgroup, atom.Frame, atom.Head,
		atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr:
		return false
	case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta, atom.Area, atom.Br, atom.Embed,
		atom.Img, atom.Keygen, atom.Wbr, atom.Input, atom.Param, atom.Source, atom.Track:
		t.p.elements++
		t.emit(a, data, false)
		return true
	case atom.Hr:
		if t.open(atom.P) {
			return false
		}
		t.p.elements++
		t.emit(a, data, false)
		return true
	case atom.Noframes, atom.Style, atom.Script, atom.Title, atom.Textarea, atom.Iframe, atom.Noembed, atom.Noscript:
		t.startRaw(a, data, false)
		return true
	case atom.Xmp:
		if t.open(atom.P) {
			return false
		}
		t.startRaw(a, data, false)
		return true
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header,
		atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Search, atom.Section, atom.Summary,
		atom.Ul, atom.Pre, atom.Listing, atom.Table:
		if t.open(atom.P) {
			return false // closes the open p
		}
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if t.open(atom.P) || isHeading(t.top()) {
			return false
		}
	case atom.Form:
		if t.open(atom.P) || t.open(atom.Form) {
			return false
		}
	case atom.Li, atom.Dd, atom.Dt:
		if t.open(atom.P) || t.closesItem(a) {
			return false
		}
	case atom.Button, atom.A, atom.Nobr:
		if t.open(a) {
			return false
		}
	case atom.Option, atom.Optgroup:
		if t.top() == atom.Option {
			return false
		}
	case atom.Rb, atom.Rtc, atom.Rp, atom.Rt:
		switch t.top() {
		case atom.Dd, atom.Dt, atom.Li, atom.Optgroup, atom.Option, atom.P, atom.Rb, atom.Rp, atom.Rt, atom.Rtc:
			return false
		}
	}
	return t.push(a, data)
}

// endTag handles an end tag outside raw text.
func (t *tokenScan) endTag(mode int, a atom.Atom, data string) (int, bool) {
	switch mode {
	case modeInitial, modeBeforeHTML, modeBeforeHead, modeAfterHead, modeInHead:
		switch a {
		case atom.Head:
			if mode == modeInHead {
				return modeAfterHead, true
			}
			return mode, mode == modeAfterHead // ignored after head
		case atom.Body, atom.Html, atom.Br, atom.Template:
			return mode, false
		}
		return mode, true // ignored
	case modeInBody:
		if len(t.stack) == 0 {
			switch a {
			case atom.Body:
				return modeAfterBody, true
			case atom.Html:
				return modeAfterAfterBody, true
			}
			return mode, false
		}
		top := t.stack[len(t.stack)-1]
		if top.a != a || top.name != data {
			return mode, false // closes more than the innermost element, or nothing
		}
		t.stack = t.stack[:len(t.stack)-1]
		return mode, true
	case modeAfterBody:
		return modeAfterAfterBody, a == atom.Html
	}
	return mode, false
}

// push opens an element in body.
func (t *tokenScan) push(a atom.Atom, data string) bool {
	if len(t.stack) >= maxDepth {
		return false
	}
	t.p.elements++
	t.emit(a, data, false)
	t.stack = append(t.stack, openElem{a, data})
	return true
}

// startRaw starts an element whose content is raw text.
func (t *tokenScan) startRaw(a atom.Atom, data string, inHead bool) {
	t.p.elements++
	t.raw = &html.Node{Type: html.ElementNode, DataAtom: a, Data: data}
	t.rawMemo, t.rawTag = nil, nil
	switch {
	case !readElement(a):
		t.style()
	case a == atom.Style:
		t.raw.Attr = t.attrs()
	default: // a script or iframe, as like as not the same on every page
		t.rawTag = t.memoTag()
		if t.rawMemo = t.s.memo(t.rawTag, inHead); t.rawMemo == nil {
			t.raw.Attr = t.attrs()
		}
	}
	t.rawHead, t.rawText = inHead, t.rawText[:0]
}

// endRaw records the raw-text element, now that its text is known.
func (t *tokenScan) endRaw() {
	if t.raw == nil {
		return
	}
	if t.rawMemo != nil {
		t.p.apply(t.rawMemo)
		t.raw = nil
		return
	}
	if len(t.rawText) > 0 {
		t.raw.FirstChild = &html.Node{Type: html.TextNode, Data: string(t.rawText)}
	}
	t.elementMemo(t.raw, t.rawHead, t.rawTag)
	t.raw = nil
}

// emit records an element, when it may hold anything a rule reads.
func (t *tokenScan) emit(a atom.Atom, data string, inHead bool) {
	if !readElement(a) {
		t.style() // all the rules read of it
		return
	}
	tag := t.memoTag()
	if e := t.s.memo(tag, inHead); e != nil {
		t.p.apply(e)
		return
	}
	t.elementMemo(&html.Node{Type: html.ElementNode, DataAtom: a, Data: data, Attr: t.attrs()}, inHead, tag)
}

// top is the innermost open element in body (body itself when none).
func (t *tokenScan) top() atom.Atom {
	if len(t.stack) == 0 {
		return atom.Body
	}
	return t.stack[len(t.stack)-1].a
}

func (t *tokenScan) tableish() bool {
	switch t.top() {
	case atom.Table, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr:
		return true
	}
	return false
}

// open reports whether an element a is open anywhere in body: more than
// the parser's scopes ask, which only makes scanTokens give up more.
func (t *tokenScan) open(a atom.Atom) bool {
	for _, e := range t.stack {
		if e.a == a {
			return true
		}
	}
	return false
}

// closesItem reports whether the parser closes an open list item (li;
// dd or dt) on a new one: it looks inward-out past phrasing elements and
// address, div and p, and stops at any other special element.
func (t *tokenScan) closesItem(a atom.Atom) bool {
	for i := len(t.stack) - 1; i >= 0; i-- {
		e := t.stack[i].a
		switch {
		case a == atom.Li && e == atom.Li, a != atom.Li && (e == atom.Dd || e == atom.Dt):
			return true
		case e == atom.Address || e == atom.Div || e == atom.P:
		case special[e]:
			return false
		}
	}
	return false
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// special are the parser's special elements (golang.org/x/net/html's
// isSpecialElementMap, in the HTML namespace).
var special = map[atom.Atom]bool{}

func init() {
	for _, name := range strings.Fields(`address applet area article aside base basefont bgsound
		blockquote body br button caption center col colgroup dd details dir div dl dt embed fieldset
		figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe
		img input keygen li link listing main marquee menu meta nav noembed noframes noscript object ol
		p param plaintext pre script section select source style summary table tbody td template
		textarea tfoot th thead title tr track ul wbr xmp`) {
		special[atom.Lookup([]byte(name))] = true
	}
}
