package audit

// This file holds what lets pages graded alike share one grading: most
// of a site's pages load the same stylesheet, script and favicon and
// differ only in text, which no rule reads, so 100,000 pages may grade
// as a handful, and their reports share one list of rule scores.

import (
	"fmt"
	"slices"
	"strings"
)

// graded is the rules' verdict on pages that read alike.
type graded struct {
	rules []RuleScore
	score int
	grade string
}

// gradeKey is everything of p the rules read, so that pages with the
// same key grade the same: its references (with the attributes rules
// read), empty references, inline blocks, CSS counts, the element count
// where ymindom holds it against the page, and the page itself where
// ycompress names it.
func (p *page) gradeKey(s *Site) string {
	var b strings.Builder
	for _, r := range p.refs {
		fmt.Fprintf(&b, "%d\x00%s\x00%s\x00%s\x00%s\x00%t", r.kind, r.url, r.path, r.host, r.elem, r.inHead)
		if r.node != nil {
			b.WriteString("\x00" + r.node.Data)
			for _, a := range r.node.Attr {
				switch a.Key {
				case "defer", "async", "type", "width", "height":
					fmt.Fprintf(&b, "\x00%s\x00%s\x00%s", a.Namespace, a.Key, a.Val)
				}
			}
		}
		b.WriteString("\x01")
	}
	for _, list := range [][]string{p.empty, p.inline} {
		b.WriteString(strings.Join(list, "\x00") + "\x02")
	}
	froms := make([]string, 0, len(p.css))
	for from := range p.css {
		froms = append(froms, from)
	}
	slices.Sort(froms)
	for _, from := range froms {
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x01", from, p.css[from].expressions, p.css[from].filters)
	}
	if p.elements > 900 {
		fmt.Fprintf(&b, "\x03%d", p.elements)
	}
	if f := p.file; uncompressed(f) {
		b.WriteString("\x04" + p.route) // ycompress names the page
	}
	return b.String()
}
