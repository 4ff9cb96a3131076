package engine

// This file holds a build's explanations: for the pages a build is asked
// about (BuildOptions.Explain), what each read and why it was rendered
// again or kept. Dependencies are recorded value by value; this is how a
// site's author sees them.

import (
	"fmt"
	"strconv"
)

// Explanation is what one page read and why the build rendered it again
// or kept it.
type Explanation struct {
	Route    string     `json:"route"`
	Rendered bool       `json:"rendered"`
	Why      string     `json:"why"`
	Read     []FactRead `json:"read"`
}

// FactRead is one value a page read, as an explanation shows it.
type FactRead struct {
	Key     string `json:"key"`     // "e:posts/a#title", or a tag for the whole of it
	Version string `json:"version"` // hex hash of the value
}

// explainer collects the explanations a build was asked for.
type explainer struct {
	want map[string]bool
	out  map[string]*Explanation
}

func newExplainer(routes []string) *explainer {
	if len(routes) == 0 {
		return nil
	}
	x := &explainer{want: map[string]bool{}, out: map[string]*Explanation{}}
	for _, r := range routes {
		x.want[r] = true
	}
	return x
}

// planned notes why route is rendered or kept, before rendering: prev is
// the previous build (nil: none); record is a kept page's record of its
// facts, decoded only for a page asked about.
func (x *explainer) planned(b *Build, prev *previous, route string, kept bool, record []byte, force bool) {
	if x == nil || !x.want[route] {
		return
	}
	e := &Explanation{Route: route, Rendered: !kept}
	switch {
	case kept:
		e.Why = "kept: every value it read has the version it had"
		e.Read = factReads(decodeRecord(record))
	case force:
		e.Why = "rendered: --force"
	case prev == nil:
		e.Why = "rendered: no previous build to reuse"
	default:
		e.Why = prev.whyRendered(b, route)
	}
	x.out[route] = e
}

// rendered adds what a page rendered this build read.
func (x *explainer) rendered(route string, facts Facts) {
	if x == nil || x.out[route] == nil {
		return
	}
	x.out[route].Read = factReads(facts)
}

// list returns the explanations in the order asked, with a note for a
// route no page has.
func (x *explainer) list(routes []string) []Explanation {
	if x == nil {
		return nil
	}
	out := make([]Explanation, 0, len(routes))
	for _, r := range routes {
		if e := x.out[r]; e != nil {
			out = append(out, *e)
		} else {
			out = append(out, Explanation{Route: r, Why: "no page of the site has this route"})
		}
	}
	return out
}

// whyRendered says why the previous build's page at route was not kept.
func (p *previous) whyRendered(b *Build, route string) string {
	raw := p.facts[route]
	if p.byRoute[route] == nil || raw == nil {
		return "rendered: not in the previous build"
	}
	facts := decodeRecord(raw)
	if facts == nil {
		return "rendered: its record in the previous build is unreadable"
	}
	f, changed := firstChanged(b, facts, p.was, b.now)
	switch {
	case !changed:
		return "rendered: its file in the previous output is missing or was modified"
	case f.Tag == SiteTag:
		return "rendered: the site program or its configuration changed"
	}
	if _, ok := b.now(f.Tag); !ok {
		if _, was := p.was(f.Tag); !was {
			return fmt.Sprintf("rendered: it read %s outside Verge's readers (Ctx.Depend), which every build renders again", f.FactKey)
		}
		return fmt.Sprintf("rendered: %s is gone", f.FactKey)
	}
	return fmt.Sprintf("rendered: %s changed", f.FactKey)
}

func factReads(fs Facts) []FactRead {
	out := make([]FactRead, len(fs))
	for i, f := range fs {
		out[i] = FactRead{Key: f.FactKey.String(), Version: strconv.FormatUint(f.Version, 16)}
	}
	return out
}
