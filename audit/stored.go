package audit

import (
	"encoding/json"
	"fmt"
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
	for i, sp := range st.Pages {
		lost := map[string]RuleScore{}
		for _, rs := range sp.Lost {
			lost[rs.ID] = rs
		}
		p := PageReport{Route: sp.Route, Key: sp.Key, Uses: sp.Uses, Elements: sp.Elements, Hosts: sp.Hosts, Preconnected: sp.Preconnected}
		for _, rl := range rules {
			rs, ok := lost[rl.id]
			if !ok {
				rs = RuleScore{ID: rl.id, Score: 100}
			}
			rs.Name, rs.Weight = rl.name, rl.weight
			p.Rules = append(p.Rules, rs)
		}
		p.Score, p.Grade = weigh(p.Rules)
		r.Pages[i] = p
	}
	r.total()
	return r, nil
}
