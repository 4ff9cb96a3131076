package audit

// The rules about how a page is written: where its CSS and scripts go,
// what its stylesheets hold, how many elements it has.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func cssTop(_ *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, r := range p.refs {
		if r.kind == refStylesheet && !r.inHead {
			offs = append(offs, Offender{r.elem, "move the stylesheet into <head>: in <body> it delays or redraws the page"})
		}
	}
	if len(offs) == 0 {
		return 100, nil
	}
	return 100 - 1 - 10*len(offs), offs
}

func jsBottom(_ *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, r := range p.refs {
		if r.kind != refScript || !r.inHead {
			continue
		}
		_, isDefer := attr(r.node, "defer")
		_, isAsync := attr(r.node, "async")
		if !isDefer && !isAsync && strings.ToLower(attrOr(r.node, "type")) != "module" {
			offs = append(offs, Offender{r.elem, "add defer (or type=module): a blocking script in <head> holds up the page"})
		}
	}
	return 100 - 5*len(offs), offs
}

func expressions(s *Site, p *page) (int, []Offender) {
	var offs []Offender
	for from, css := range p.css {
		if n := css.expressions; n > 0 {
			offs = append(offs, Offender{fmt.Sprintf("%d CSS expression(s) in %s", n, from), "remove expression(): it runs on every mouse move; compute in JavaScript once"})
		}
	}
	if len(offs) == 0 {
		return 100, nil
	}
	n := 0
	for _, o := range offs {
		k, _ := strconv.Atoi(strings.Fields(o.What)[0])
		n += k
	}
	slices.SortFunc(offs, func(a, b Offender) int { return strings.Compare(a.What, b.What) })
	return 90 - 2*n, offs
}

func external(_ *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, in := range p.inline {
		offs = append(offs, Offender{in, "fine when small; large ones are better as files the browser caches"})
	}
	return 100, offs
}

func dupes(_ *Site, p *page) (int, []Offender) {
	seen := map[string]int{}
	var offs []Offender
	for _, r := range p.refs {
		if r.kind != refScript && r.kind != refStylesheet {
			continue
		}
		seen[r.url]++
		if seen[r.url] == 2 {
			offs = append(offs, Offender{r.url, "reference it once: the browser loads (and runs) it again"})
		}
	}
	return 100 - 5*len(offs), offs
}

func domSize(_ *Site, p *page) (int, []Offender) {
	if p.elements <= 900 {
		return 100, nil
	}
	return 99 - 10*((p.elements-900+249)/250), []Offender{{fmt.Sprintf("%d elements", p.elements),
		"paginate long lists (site.Paginate) and flatten wrappers: aim below 800"}}
}

func noFilter(s *Site, p *page) (int, []Offender) {
	var offs []Offender
	n := 0
	for from, css := range p.css {
		if k := css.filters; k > 0 {
			n += k
			offs = append(offs, Offender{fmt.Sprintf("%d AlphaImageLoader filter(s) in %s", k, from), "use PNG alpha, which every browser supports"})
		}
	}
	slices.SortFunc(offs, func(a, b Offender) int { return strings.Compare(a.What, b.What) })
	return 100 - 5*n, offs
}
