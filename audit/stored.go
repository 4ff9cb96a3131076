package audit

import (
	"encoding/json"
	"fmt"
	"strconv"
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

// Encode returns r in the form a build stores it: json.Marshal of its
// stored form (marshalStored), written out, since pages graded alike
// share their lists, which are encoded once (on 100,000 pages the
// reflection was a second).
func (r *Report) Encode() ([]byte, error) {
	type listKey struct {
		first *string
		n     int
	}
	type rulesKey struct {
		first *RuleScore
		n     int
	}
	lists := map[listKey][]byte{}
	losts := map[rulesKey][]byte{}
	var err error
	list := func(b []byte, name string, l []string) []byte {
		if len(l) == 0 {
			return b // omitempty
		}
		k := listKey{&l[0], len(l)}
		enc, ok := lists[k]
		if !ok {
			if enc, err = json.Marshal(l); err != nil {
				return b
			}
			lists[k] = enc
		}
		return append(append(b, name...), enc...)
	}
	// A page is some 350 bytes (route, key, uses): growing the buffer
	// by copies cost more than encoding into it.
	b := make([]byte, 0, 64+len(r.Pages)*400)
	b = append(b, `{"rules":`...)
	b = strconv.AppendInt(b, int64(len(rules)), 10)
	if r.build != "" {
		b = appendJSONString(append(b, `,"build":`...), r.build)
	}
	b = append(b, `,"pages":[`...)
	for i, p := range r.Pages {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"r":`...), p.Route)
		b = appendJSONString(append(b, `,"k":`...), p.Key)
		b = list(b, `,"u":`, p.Uses)
		if len(p.Rules) > 0 {
			k := rulesKey{&p.Rules[0], len(p.Rules)}
			enc, ok := losts[k]
			if !ok {
				if lost := lostOf(p.Rules); len(lost) > 0 {
					if enc, err = json.Marshal(lost); err != nil {
						return nil, err
					}
					enc = append([]byte(`,"l":`), enc...)
				}
				losts[k] = enc
			}
			b = append(b, enc...)
		}
		b = strconv.AppendInt(append(b, `,"e":`...), int64(p.Elements), 10)
		b = list(b, `,"h":`, p.Hosts)
		b = list(b, `,"p":`, p.Preconnected)
		b = append(b, '}')
	}
	if err != nil {
		return nil, err
	}
	return append(b, "]}"...), nil
}

// marshalStored is Encode by reflection, what Encode writes out.
func (r *Report) marshalStored() ([]byte, error) {
	st := stored{Rules: len(rules), Build: r.build, Pages: make([]storedPage, len(r.Pages))}
	for i, p := range r.Pages {
		st.Pages[i] = storedPage{Route: p.Route, Key: p.Key, Uses: p.Uses, Lost: lostOf(p.Rules), Elements: p.Elements, Hosts: p.Hosts, Preconnected: p.Preconnected}
	}
	return json.Marshal(st)
}

// lostOf are the rules of rs that cost points or found something, the
// others being 100 with nothing to say.
func lostOf(rs []RuleScore) []RuleScore {
	var lost []RuleScore
	for _, r := range rs {
		if r.Score < 100 || len(r.Offenders) > 0 {
			r.Name = "" // the registry has it
			lost = append(lost, r)
		}
	}
	return lost
}

// appendJSONString appends s as json.Marshal writes it: printable ASCII
// as it is, anything else by json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Decode reads a report Encode wrote. Pages are graded again from their
// rule scores, as an audit grades them.
func Decode(data []byte) (*Report, error) {
	if r, ok := decodeWritten(data); ok {
		return r, nil
	}
	return decodeJSON(data)
}

// decodeJSON is Decode by json.Unmarshal.
func decodeJSON(data []byte) (*Report, error) {
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
