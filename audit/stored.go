package audit

import (
	"encoding/json"
	"fmt"
	"strings"
)

// stored is a Report as a build keeps it for the next (see
// Site.AuditReusing): each page with only the rules that cost it points
// or found something, the others being 100 with nothing to say. On a
// 10,000-page site that is a twentieth of the full report.
type stored struct {
	Rules int          `json:"rules"` // how many rules there were: another count, another audit
	Build string       `json:"build,omitempty"`
	Pages []storedPage `json:"pages"`
}

type storedPage struct {
	Route        string      `json:"r"`
	Key          string      `json:"k"`
	Uses         []string    `json:"u,omitempty"`
	Lost         []RuleScore `json:"l,omitempty"`
	Elements     int         `json:"e"`
	Hosts        []string    `json:"h,omitempty"`
	Preconnected []string    `json:"p,omitempty"`
}

// Encode returns r in the form a build stores it.
func (r *Report) Encode() ([]byte, error) {
	st := stored{Rules: len(rules), Build: r.build, Pages: make([]storedPage, len(r.Pages))}
	for i, p := range r.Pages {
		sp := storedPage{Route: p.Route, Key: p.Key, Uses: p.Uses, Elements: p.Elements, Hosts: p.Hosts, Preconnected: p.Preconnected}
		for _, rs := range p.Rules {
			if rs.Score < 100 || len(rs.Offenders) > 0 {
				rs.Name = "" // the registry has it
				sp.Lost = append(sp.Lost, rs)
			}
		}
		st.Pages[i] = sp
	}
	return json.Marshal(st)
}

// Decode reads a report Encode wrote. Pages are graded again from their
// rule scores, as an audit grades them.
func Decode(data []byte) (*Report, error) {
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	if st.Rules != len(rules) {
		return nil, fmt.Errorf("stored audit has %d rules, not %d", st.Rules, len(rules))
	}
	r := &Report{Pages: make([]PageReport, len(st.Pages)), Grades: map[string]int{}, build: st.Build}
	// Pages that lost the same points share their scores, as in an
	// audit (see graded): 100,000 pages decode to a handful of lists.
	alike := map[string]*graded{}
	for i, sp := range st.Pages {
		p := PageReport{Route: sp.Route, Key: sp.Key, Uses: sp.Uses, Elements: sp.Elements, Hosts: sp.Hosts, Preconnected: sp.Preconnected}
		key := lostKey(sp.Lost)
		g := alike[key]
		if g == nil {
			g = &graded{rules: expand(sp.Lost)}
			g.score, g.grade = weigh(g.rules)
			alike[key] = g
		}
		p.Rules, p.Score, p.Grade = g.rules, g.score, g.grade
		r.Pages[i] = p
	}
	r.total()
	return r, nil
}

// expand is every rule's score, from those that lost points or found
// something (lost); the others scored 100.
func expand(lost []RuleScore) []RuleScore {
	byID := map[string]RuleScore{}
	for _, rs := range lost {
		byID[rs.ID] = rs
	}
	out := make([]RuleScore, 0, len(rules))
	for _, rl := range rules {
		rs, ok := byID[rl.id]
		if !ok {
			rs = RuleScore{ID: rl.id, Score: 100}
		}
		rs.Name, rs.Weight = rl.name, rl.weight
		out = append(out, rs)
	}
	return out
}

// lostKey is lost's content, for telling pages that lost alike.
func lostKey(lost []RuleScore) string {
	if len(lost) == 0 {
		return ""
	}
	var b strings.Builder
	for _, rs := range lost {
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x01", rs.ID, rs.Score, rs.Weight)
		for _, o := range rs.Offenders {
			b.WriteString(o.What + "\x00" + o.Fix + "\x01")
		}
		b.WriteString("\x02")
	}
	return b.String()
}
