// FuzzTargeted checks parseTargeted against an independent, step-by-step
// transcription of RFC 8941 section 4.2 (refDictionary below).

package cache

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/fuzzmut"
)

// There is no structured-fields parser in the standard library; this is
// RFC 8941 section 4.2's parsing algorithm for a Dictionary, followed
// step by step, as the oracle for parseTargeted.

type sfRef struct {
	s string
	i int
}

func (p *sfRef) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}
func (p *sfRef) eof() bool { return p.i >= len(p.s) }
func (p *sfRef) sp() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}
func (p *sfRef) ows() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func isLcalpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return isLcalpha(c) || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

// refMember is a dictionary member's value as parseTargeted would set it.
type refMember struct {
	kind sfKind
	b    bool
	n    int64
	s    string
}

// refDictionary parses v (the field lines joined with commas); ok false
// means the field fails to parse. Members are in first-seen order.
func refDictionary(v string) (keys []string, members map[string]refMember, ok bool) {
	p := &sfRef{s: strings.Trim(v, " ")} // 4.2: discard leading and trailing SP
	members = map[string]refMember{}
	if p.eof() {
		return nil, members, true // an empty dictionary
	}
	for {
		key, ok := p.key()
		if !ok {
			return nil, nil, false
		}
		var m refMember
		if p.peek() == '=' {
			p.i++
			if p.peek() == '(' {
				if !p.innerList() {
					return nil, nil, false
				}
				m = refMember{kind: sfOther} // an inner list: not a directive value
			} else if m, ok = p.bareItem(); !ok || !p.params() {
				return nil, nil, false
			}
		} else {
			m = refMember{kind: sfBool, b: true}
			if !p.params() {
				return nil, nil, false
			}
		}
		if _, dup := members[key]; !dup {
			keys = append(keys, key)
			// RFC 8941 lets the last of a repeated key win; parseTargeted
			// deliberately keeps the first (see its comment), as Cache-
			// Control's parser does (RFC 9111 section 4.2.1).
			members[key] = m
		}
		p.ows()
		if p.eof() {
			return keys, members, true
		}
		if p.peek() != ',' {
			return nil, nil, false
		}
		p.i++
		p.ows()
		if p.eof() {
			return nil, nil, false // a trailing comma
		}
	}
}

func (p *sfRef) key() (string, bool) {
	c := p.peek()
	if !isLcalpha(c) && c != '*' {
		return "", false
	}
	start := p.i
	for !p.eof() {
		c := p.s[p.i]
		if !isLcalpha(c) && !isDigit(c) && !strings.ContainsRune("_-.*", rune(c)) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], true
}

func (p *sfRef) params() bool {
	for p.peek() == ';' {
		p.i++
		p.sp()
		if _, ok := p.key(); !ok {
			return false
		}
		if p.peek() == '=' {
			p.i++
			if _, ok := p.bareItem(); !ok {
				return false
			}
		}
	}
	return true
}

func (p *sfRef) innerList() bool {
	p.i++ // (
	for !p.eof() {
		p.sp()
		if p.peek() == ')' {
			p.i++
			return p.params()
		}
		if _, ok := p.bareItem(); !ok || !p.params() {
			return false
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return false
		}
	}
	return false
}

func (p *sfRef) bareItem() (refMember, bool) {
	c := p.peek()
	switch {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		p.i++
		var b strings.Builder
		for !p.eof() {
			c := p.s[p.i]
			p.i++
			switch {
			case c == '\\':
				if p.eof() || p.s[p.i] != '"' && p.s[p.i] != '\\' {
					return refMember{}, false
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case c == '"':
				return refMember{kind: sfString, s: b.String()}, true
			case c < 0x20 || c > 0x7e:
				return refMember{}, false
			default:
				b.WriteByte(c)
			}
		}
		return refMember{}, false
	case isAlpha(c) || c == '*':
		for p.i++; !p.eof(); p.i++ {
			c := p.s[p.i]
			if !(isAlpha(c) || isDigit(c) || strings.ContainsRune("!#$%&'*+-.^_`|~:/", rune(c))) {
				break
			}
		}
		return refMember{kind: sfOther}, true
	case c == ':':
		for p.i++; !p.eof() && p.s[p.i] != ':'; p.i++ {
			if c := p.s[p.i]; !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
				return refMember{}, false
			}
		}
		if p.eof() {
			return refMember{}, false
		}
		p.i++
		return refMember{kind: sfOther}, true
	case c == '?':
		p.i++
		switch p.peek() {
		case '0', '1':
			p.i++
			return refMember{kind: sfBool, b: p.s[p.i-1] == '1'}, true
		}
	}
	return refMember{}, false
}

func (p *sfRef) number() (refMember, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	if !isDigit(p.peek()) {
		return refMember{}, false
	}
	digits, dot := 0, -1
	for !p.eof() {
		c := p.s[p.i]
		if isDigit(c) {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return refMember{}, false
			}
			dot = digits
		} else {
			break
		}
		p.i++
		if dot < 0 && digits > 15 || dot >= 0 && digits > 15 {
			return refMember{}, false
		}
	}
	if dot < 0 {
		n, _ := strconv.ParseInt(p.s[start:p.i], 10, 64)
		return refMember{kind: sfInt, n: n}, true
	}
	if frac := digits - dot; frac == 0 || frac > 3 {
		return refMember{}, false
	}
	return refMember{kind: sfOther}, true
}

// refTargeted maps the dictionary to directives as RFC 9213 reads it.
func refTargeted(v string) (Directives, bool) {
	keys, members, ok := refDictionary(v)
	if !ok || len(keys) == 0 {
		return Directives{}, false
	}
	var d Directives
	for _, k := range keys {
		m := members[k]
		switch m.kind {
		case sfBool:
			if m.b {
				d.Set(k, "", false)
			}
		case sfInt:
			if m.n < 0 {
				d.Set(k, "-1", true)
			} else {
				d.Set(k, strconv.FormatInt(m.n, 10), true)
			}
		case sfString:
			if k == "no-cache" || k == "private" {
				d.Set(k, m.s, true)
			} else {
				d.Set(k, `"`+m.s+`"`, true)
			}
		default:
			d.Set(k, "x", true)
		}
	}
	return d, true
}

var targetedSeeds = []string{
	"max-age=60", "max-age=60, stale-while-revalidate=30", "no-store", "no-cache, private", `private="set-cookie"`,
	"max-age=?1", "max-age=-5", "max-age=1.5", "max-age=abc", "max-age=60;foo=bar", "max-age=60, max-age=5",
	"Max-Age=60", "max-age=1234567890123456", `no-cache="a\"b"`, "a=(b c);d, max-age=9", "s-maxage=:aGk=:", "max-age=60,",
	"  max-age=60  ", "max-age=60\t,\tpublic", "x=?0, public",
	// Around the three disagreements the target first found (an inner
	// list, a trailing or empty member, a string's escapes).
	"max-age=(1 2)", "a=( b  c ), max-age=9", "a=(b;x=1 c)d, max-age=9", "max-age=60,,public", ", max-age=60",
	`private="a\\b", no-cache="x\y"`, "max-age=1.2345", "max-age=-", "max-age=?", "a=:ab", "\tmax-age=60",
}

// TestTargetedRFC8941 pins what the oracle says for the inputs that
// parseTargeted once got wrong, so a change to both cannot hide them.
func TestTargetedRFC8941(t *testing.T) {
	if d, ok := parseTargeted("a=(b c);d, max-age=9"); !ok || d.MaxAge != (Seconds{Value: 9, Present: true}) {
		t.Errorf("inner list: got %v %+v, want max-age=9", ok, d.MaxAge)
	}
	if d, ok := parseTargeted("max-age=(1 2)"); !ok || !d.MaxAge.Present || !d.MaxAge.Invalid {
		t.Errorf("inner list as a value: got %v %+v, want present, invalid", ok, d.MaxAge)
	}
	for _, v := range []string{"max-age=60,", "max-age=60,,public", ", max-age=60"} {
		if _, ok := parseTargeted(v); ok {
			t.Errorf("%q: parsed, want the field to fail", v)
		}
	}
	if d, ok := parseTargeted(`no-cache="a\"b", private="c\\d"`); !ok || !slices.Equal(d.NoCacheFields, []string{`a"b`}) || !slices.Equal(d.PrivateFields, []string{`c\d`}) {
		t.Errorf("escapes: got %v %q %q, want [a\"b] [c\\d]", ok, d.NoCacheFields, d.PrivateFields)
	}
}

func targetedAgrees(v string) string {
	got, gotOK := parseTargeted(v)
	want, wantOK := refTargeted(v)
	if gotOK != wantOK || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		return fmt.Sprintf("\ngot  %v %+v\nwant %v %+v", gotOK, got, wantOK, want)
	}
	return ""
}

// FuzzTargeted checks parseTargeted (CDN-Cache-Control) against the RFC
// 8941 reference above.
func FuzzTargeted(f *testing.F) { fuzzmut.Target(f, targetedSeeds, targetedAgrees) }

func TestTargetedMutated(t *testing.T) {
	fuzzmut.Stream(t, 40000, "FuzzTargeted", targetedSeeds, targetedAgrees)
}
