package audit

// This file reads a stored audit as Encode writes it, without
// reflection: a build that reuses the grades of 100,000 pages read them
// with json.Unmarshal in over a second. Anything not laid out as Encode
// lays it out (spacing, another order, fields it does not write) is
// left to json.Unmarshal, and so are strings with escapes and lists,
// which pages share: each list is unmarshaled once, by its bytes, and
// the pages that hold it share what it decodes to.

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// storedReader reads a stored audit's bytes in order.
type storedReader struct {
	b []byte
	i int
}

// decodeWritten is Decode of data laid out as Encode writes it; false
// when it is not, or the rules differ (for decodeJSON to say so).
func decodeWritten(data []byte) (*Report, bool) {
	d := &storedReader{b: data}
	r := &Report{Grades: map[string]int{}}
	n, ok := d.lit(`{"rules":`), false
	var count int
	if count, ok = d.int(); !n || !ok || count != len(rules) {
		return nil, false
	}
	if d.lit(`,"build":`) {
		if r.build, ok = d.str(); !ok {
			return nil, false
		}
	}
	if !d.lit(`,"pages":[`) {
		return nil, false
	}
	lists := map[string][]string{}
	alike := map[string]*graded{}
	list := func(name string, into *[]string) bool {
		if !d.lit(name) {
			return true
		}
		raw, ok := d.array()
		if !ok {
			return false
		}
		l, seen := lists[string(raw)]
		if !seen {
			if json.Unmarshal(raw, &l) != nil {
				return false
			}
			lists[string(raw)] = l
		}
		*into = l
		return true
	}
	r.Pages = make([]PageReport, 0, bytes.Count(data, []byte(`{"r":`)))
	for first := true; !d.lit("]"); first = false {
		if !first && !d.lit(",") {
			return nil, false
		}
		var p PageReport
		if !d.lit(`{"r":`) {
			return nil, false
		}
		if p.Route, ok = d.str(); !ok || !d.lit(`,"k":`) {
			return nil, false
		}
		if p.Key, ok = d.str(); !ok || !list(`,"u":`, &p.Uses) {
			return nil, false
		}
		var lost []byte
		if d.lit(`,"l":`) {
			if lost, ok = d.array(); !ok {
				return nil, false
			}
		}
		g := alike[string(lost)]
		if g == nil {
			var rs []RuleScore
			if lost != nil && json.Unmarshal(lost, &rs) != nil {
				return nil, false
			}
			g = &graded{rules: expand(rs)}
			g.score, g.grade = weigh(g.rules)
			alike[string(lost)] = g
		}
		p.Rules, p.Score, p.Grade = g.rules, g.score, g.grade
		if !d.lit(`,"e":`) {
			return nil, false
		}
		if p.Elements, ok = d.int(); !ok || !list(`,"h":`, &p.Hosts) || !list(`,"p":`, &p.Preconnected) || !d.lit("}") {
			return nil, false
		}
		r.Pages = append(r.Pages, p)
	}
	if !d.lit("}") || d.i != len(d.b) {
		return nil, false
	}
	r.total()
	return r, true
}

// lit reads s if it comes next.
func (d *storedReader) lit(s string) bool {
	if bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		d.i += len(s)
		return true
	}
	return false
}

// int reads a non-negative integer as Encode writes one.
func (d *storedReader) int() (int, bool) {
	start, n := d.i, 0
	for ; d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9'; d.i++ {
		if d.i-start > 15 {
			return 0, false
		}
		n = n*10 + int(d.b[d.i]-'0')
	}
	return n, d.i > start && (d.b[start] != '0' || d.i == start+1)
}

// str reads a string: as it is when it has no escapes and is valid
// UTF-8, else by json.Unmarshal.
func (d *storedReader) str() (string, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", false
	}
	end := bytes.IndexByte(d.b[d.i+1:], '"')
	if end < 0 {
		return "", false
	}
	raw := d.b[d.i+1 : d.i+1+end]
	plain, ascii := bytes.IndexByte(raw, '\\') < 0, true
	for _, c := range raw {
		plain = plain && c >= 0x20
		ascii = ascii && c < 0x80
	}
	if plain && (ascii || utf8.Valid(raw)) {
		d.i += end + 2
		return string(raw), true
	}
	start := d.i
	if !d.skipString() {
		return "", false
	}
	var s string
	if json.Unmarshal(d.b[start:d.i], &s) != nil {
		return "", false
	}
	return s, true
}

// skipString reads past a string, escapes and all.
func (d *storedReader) skipString() bool {
	for d.i++; d.i < len(d.b); d.i++ {
		switch d.b[d.i] {
		case '\\':
			d.i++
		case '"':
			d.i++
			return true
		}
	}
	return false
}

// array reads past a JSON array, returning its bytes.
func (d *storedReader) array() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, false
	}
	start, depth := d.i, 0
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case '"':
			if !d.skipString() {
				return nil, false
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				d.i++
				return d.b[start:d.i], true
			}
		}
		d.i++
	}
	return nil, false
}
