package audit

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/vergehq/verge/internal/manifest"
)

// page is an HTML page parsed for the rules.
type page struct {
	route    string
	file     *manifest.File
	refs     []ref
	elements int               // elements in the DOM
	empty    []string          // elements with an empty src or href
	styles   int               // inline CSS read: <style> bodies and style attributes
	inline   []string          // inline <script> and <style> blocks, for yexternal
	css      map[string]cssUse // what the CSS the page uses holds, by where it comes from
	// styleImages are the url()s of the inline styles, which come after
	// the stylesheets' in refs.
	styleImages []ref
	// preconnect are the hosts of <link rel=preconnect> (and dns-prefetch).
	preconnect []string
	// relative is set when a reference resolved against the page's URL.
	relative bool
}

// hosts lists the other hosts p loads components from, in order.
func (p *page) hosts() []string {
	var out []string
	for _, r := range p.components() {
		if r.host != "" && !strings.HasPrefix(r.host, "(") && !slices.Contains(out, r.host) {
			out = append(out, r.host)
		}
	}
	return out
}

// refKind is what a page references a resource as.
type refKind int

const (
	refScript refKind = iota
	refStylesheet
	refImage
	refFavicon
	refCSSImage // a url() in a stylesheet or an inline style
	refFrame
)

// ref is a resource a page references.
type ref struct {
	kind   refKind
	url    string // absolute URL, or the path on this site
	path   string // the URL path when on this site, "" otherwise
	host   string // the host when on another site
	elem   string // how the page writes it, for reports
	inHead bool
	node   *html.Node
}

// page reads f: scanned as the build made it (see Scans), else from the
// site's files.
func (s *Site) page(f *manifest.File) (*page, error) {
	data, err := s.read(f)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", f.Route, err)
	}
	p, err := scanPage(s, f.Route, data)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", f.Route, err)
	}
	p.file = f
	s.expand(p)
	return p, nil
}

// expand adds to p's references the images its stylesheets load, and
// to its CSS what they hold.
func (s *Site) expand(p *page) {
	// The stylesheets' CSS, and the images it loads, before the inline
	// styles' (the order of the rules' offenders).
	for _, r := range p.refs {
		if r.kind != refStylesheet || r.path == "" {
			continue
		}
		if cf, _ := s.lookup(r.path); cf != nil {
			if sh, ok := s.sheet(cf, r.url); ok {
				if sh.use != (cssUse{}) {
					p.css[r.url] = sh.use
				}
				p.refs = append(p.refs, sh.images...)
			}
		}
	}
	p.refs = append(p.refs, p.styleImages...)
}

// scanPage reads the page at route from its HTML, all but what its
// stylesheets hold: for that it needs the site's files.
func scanPage(s *Site, route string, data []byte) (*page, error) {
	base, _ := url.Parse(route)
	p := &page{route: route}
	if !p.scanTokens(s, base, data) {
		// Tags that do not nest as written: what the parser makes of them.
		p = &page{route: route}
		if err := p.scanTree(s, base, data); err != nil {
			return nil, err
		}
	}
	if p.css == nil {
		p.css = map[string]cssUse{}
	}
	return p, nil
}

// style records what the rules read of inline CSS (a <style> body or a
// style attribute), in the page's order: what it counts, numbered, and
// the images it loads.
func (p *page) style(s *Site, base *url.URL, css []byte) {
	p.styles++
	if u := countCSSBytes(css); u != (cssUse{}) {
		if p.css == nil {
			p.css = map[string]cssUse{}
		}
		p.css[fmt.Sprintf("inline style %d", p.styles)] = u
	}
	if bytes.Contains(css, []byte("url(")) {
		var img page
		img.cssImages(s, base, string(css), "inline style")
		p.styleImages = append(p.styleImages, img.refs...)
	}
}

// cssUse counts what yexpressions and ynofilter look for in some CSS.
type cssUse struct{ expressions, filters int }

// countCSSBytes is countCSS, allocating nothing for ASCII CSS that has
// neither (most style attributes).
func countCSSBytes(css []byte) cssUse {
	for _, c := range css {
		if c >= 0x80 {
			return countCSS(string(css)) // strings.ToLower folds more than ASCII
		}
	}
	return cssUse{countFold(css, "expression("), countFold(css, "alphaimageloader")}
}

// countFold counts the times lower (lower case ASCII) occurs in ASCII s,
// ignoring case, without overlaps as strings.Count counts.
func countFold(s []byte, lower string) int {
	n := 0
	for i := 0; i+len(lower) <= len(s); {
		if asciiEqualFold(s[i:i+len(lower)], lower) {
			n++
			i += len(lower)
			continue
		}
		i++
	}
	return n
}

func countCSS(css string) cssUse {
	lower := strings.ToLower(css)
	return cssUse{strings.Count(lower, "expression("), strings.Count(lower, "alphaimageloader")}
}

// sheet is what the rules read of a stylesheet, referenced as from: the
// counts, and its url()s as images. Worked out once for all the pages
// that use it.
type sheet struct {
	use    cssUse
	images []ref
}

func (s *Site) sheet(f *manifest.File, from string) (*sheet, bool) {
	key := f.Path + "\x00" + from
	if v, ok := s.sheetCache.Load(key); ok {
		return v.(*sheet), true
	}
	css, ok := s.text(f)
	if !ok {
		return nil, false
	}
	var img page
	cssBase, _ := url.Parse(f.Path)
	img.cssImages(s, cssBase, css, from)
	sh := &sheet{use: countCSS(css), images: img.refs}
	s.sheetCache.Store(key, sh)
	return sh, true
}

// scanTree reads the page's elements from its parse tree.
func (p *page) scanTree(s *Site, base *url.URL, data []byte) error {
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return err
	}
	var walk func(n *html.Node, inHead bool)
	walk = func(n *html.Node, inHead bool) {
		if n.Type == html.ElementNode {
			p.elements++
			if n.DataAtom == atom.Head {
				inHead = true
			}
			p.element(s, base, n, inHead)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHead)
		}
	}
	walk(doc, false)
	return nil
}

// element records what one element references.
func (p *page) element(s *Site, base *url.URL, n *html.Node, inHead bool) {
	add := func(kind refKind, raw string) {
		r := resolve(s, base, raw)
		p.relative = p.relative || !baseFree(raw)
		r.kind, r.inHead, r.node, r.elem = kind, inHead, n, describe(n)
		p.refs = append(p.refs, r)
	}
	checkEmpty := func(name string) (string, bool) {
		v, ok := attr(n, name)
		if ok && strings.TrimSpace(v) == "" {
			p.empty = append(p.empty, describe(n))
			return "", false
		}
		return v, ok
	}
	if st, ok := attr(n, "style"); ok {
		p.style(s, base, []byte(st))
	}
	switch n.DataAtom {
	case atom.Script:
		if src, ok := checkEmpty("src"); ok {
			add(refScript, src)
		} else if n.FirstChild != nil && strings.TrimSpace(n.FirstChild.Data) != "" && isJS(attrOr(n, "type")) {
			p.inline = append(p.inline, fmt.Sprintf("inline <script> of %d bytes", len(n.FirstChild.Data)))
		}
	case atom.Link:
		rel := " " + strings.ToLower(attrOr(n, "rel")) + " "
		if strings.Contains(rel, " preconnect ") || strings.Contains(rel, " dns-prefetch ") {
			if u, err := url.Parse(attrOr(n, "href")); err == nil && u.Hostname() != "" {
				p.preconnect = append(p.preconnect, strings.ToLower(u.Hostname()))
			}
			return
		}
		loads := false
		for _, r := range []string{" stylesheet ", " icon ", " preload ", " modulepreload ", " prefetch ", " manifest "} {
			loads = loads || strings.Contains(rel, r)
		}
		if !loads {
			return // canonical, alternate and the like load nothing
		}
		href, ok := checkEmpty("href")
		if !ok {
			return
		}
		switch {
		case strings.Contains(rel, " stylesheet "):
			add(refStylesheet, href)
		case strings.Contains(rel, " icon "):
			add(refFavicon, href)
		}
	case atom.Img, atom.Iframe, atom.Frame, atom.Source, atom.Input:
		if src, ok := checkEmpty("src"); ok {
			kind := refImage
			if n.DataAtom == atom.Iframe || n.DataAtom == atom.Frame {
				kind = refFrame
			}
			add(kind, src)
		}
	case atom.A:
		// A link loads nothing with the page, and no rule reads links:
		// they are left out (most of a page's references, and the cost of
		// resolving each).
	case atom.Style:
		if n.FirstChild != nil {
			p.style(s, base, []byte(n.FirstChild.Data))
			p.inline = append(p.inline, fmt.Sprintf("inline <style> of %d bytes", len(n.FirstChild.Data)))
		}
	}
}

var cssURL = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)

// cssImages records the url()s of css (from the file at base) as images.
func (p *page) cssImages(s *Site, base *url.URL, css, from string) {
	if !strings.Contains(css, "url(") {
		return // what cssURL needs: most CSS has none
	}
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		u := strings.TrimSpace(m[1])
		if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") {
			continue
		}
		r := resolve(s, base, u)
		r.kind, r.elem = refCSSImage, "url("+u+") in "+from
		if strings.HasSuffix(strings.ToLower(r.path), ".woff2") || strings.HasSuffix(strings.ToLower(r.path), ".woff") {
			continue // a font, not an image
		}
		p.refs = append(p.refs, r)
	}
}

// resolve makes raw, as written on a page at base, a ref's URL, path and
// host.
func resolve(s *Site, base *url.URL, raw string) ref {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ref{url: raw, host: "(unparseable)"}
	}
	if u.Scheme == "data" || u.Scheme == "mailto" || u.Scheme == "javascript" || u.Scheme == "tel" {
		return ref{url: raw, host: "(" + u.Scheme + ")"}
	}
	abs := base.ResolveReference(u)
	if abs.Host != "" && !s.sameSite(abs) {
		return ref{url: abs.String(), host: strings.ToLower(abs.Hostname())}
	}
	return ref{url: abs.RequestURI(), path: abs.Path}
}

// sameSite reports whether an absolute URL is the site's own.
func (s *Site) sameSite(u *url.URL) bool {
	return s.baseHost != "" && strings.EqualFold(s.baseHost, u.Host)
}

// isJS reports whether a script type attribute means JavaScript (data
// blocks such as JSON-LD run nothing).
func isJS(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "" || t == "module" || strings.Contains(t, "javascript") || strings.Contains(t, "ecmascript")
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func attrOr(n *html.Node, name string) string {
	v, _ := attr(n, name)
	return v
}

// describe is a short form of n's start tag for reports.
func describe(n *html.Node) string {
	var b strings.Builder
	b.WriteString("<" + n.Data)
	for _, a := range n.Attr {
		switch a.Key {
		case "src", "href", "rel", "type", "width", "height":
			fmt.Fprintf(&b, " %s=%q", a.Key, a.Val)
		case "defer", "async":
			b.WriteString(" " + a.Key)
		}
	}
	return b.String() + ">"
}
