package cache

import (
	"net/http"
	"strconv"
	"strings"
)

// targetedFields are the targeted cache-control fields the edge obeys,
// most specific first (RFC 9213 section 2.2: a cache uses the first of
// its list that is present and valid, and ignores Cache-Control and
// Expires then).
var targetedFields = []string{"Verge-CDN-Cache-Control", "CDN-Cache-Control"}

// Targeted returns the directives of the first targeted field in h that
// parses and is not empty; ok is false when there is none.
func Targeted(h http.Header) (d Directives, field string, ok bool) {
	for _, f := range targetedFields {
		lines := h.Values(f)
		if len(lines) == 0 {
			continue
		}
		if d, ok := parseTargeted(strings.Join(lines, ",")); ok {
			return d, f, true
		}
	}
	return Directives{}, "", false
}

// parseTargeted reads a targeted field: a Structured Fields Dictionary
// (RFC 8941 section 3.2), parsed as section 4.2 says. A value that does
// not parse, or holds nothing, is as if absent (RFC 9213 section 2.1):
// any syntax error anywhere fails the whole field, so that a cache never
// acts on half of what a sender wrote.
func parseTargeted(v string) (Directives, bool) {
	p := &sfParser{s: strings.Trim(v, " ")} // 4.2: leading and trailing SP only, not HTAB
	if p.eof() {
		return Directives{}, false // an empty dictionary holds nothing
	}
	var d Directives
	seen := map[string]bool{}
	for {
		key, value, ok := p.member()
		if !ok {
			return Directives{}, false
		}
		// RFC 8941 lets the last of a repeated key win; for caching the
		// first is as good and simpler to reason about, and it is what
		// the Cache-Control parser does (RFC 9111 section 4.2.1).
		if !seen[key] {
			seen[key] = true
			setTargeted(&d, key, value)
		}
		p.ows()
		if p.eof() {
			return d, true
		}
		if !p.consume(',') {
			return Directives{}, false
		}
		p.ows()
		if p.eof() {
			return Directives{}, false // a trailing comma: 4.2.2 fails the field
		}
	}
}

// setTargeted maps one dictionary member onto d the way Cache-Control's
// directive=value would read: a boolean true is a bare directive, an
// integer is delta-seconds, a string is no-cache's or private's field
// list, and anything else is present but invalid.
func setTargeted(d *Directives, key string, v sfValue) {
	switch v.kind {
	case sfBool:
		if v.b {
			d.Set(key, "", false)
		} // ?0: not set
	case sfInt:
		if v.n < 0 {
			d.Set(key, "-1", true) // present, invalid
			return
		}
		d.Set(key, strconv.FormatInt(v.n, 10), true)
	case sfString:
		if key == "no-cache" || key == "private" {
			d.Set(key, v.s, true)
		} else {
			d.Set(key, `"`+v.s+`"`, true) // not an integer: invalid
		}
	default:
		d.Set(key, "x", true) // a token, decimal, byte sequence or inner list where an integer belongs
	}
}

type sfKind int

const (
	sfBool sfKind = iota
	sfInt
	sfString
	sfOther // token, decimal, byte sequence, inner list
)

// sfValue is a member's value, kept only as far as a directive uses it.
type sfValue struct {
	kind sfKind
	b    bool
	n    int64
	s    string
}

// sfParser walks a field value by index, one RFC 8941 section 4.2 step
// per method; each consumes what it reads and reports whether it parsed.
// Index-based rather than split-based, because commas, semicolons and
// equals signs may sit inside strings and inner lists.
type sfParser struct {
	s string
	i int
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

// peek returns the next byte, or 0 at the end (0 never starts anything).
func (p *sfParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) consume(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// sp skips SP, as between parameters and inner-list items.
func (p *sfParser) sp() {
	for p.consume(' ') {
	}
}

// ows skips SP and HTAB, as around a dictionary's commas.
func (p *sfParser) ows() {
	for p.consume(' ') || p.consume('\t') {
	}
}

// member reads key, key;params, key=item;params or key=(list);params
// (4.2.2).
func (p *sfParser) member() (string, sfValue, bool) {
	key, ok := p.key()
	if !ok {
		return "", sfValue{}, false
	}
	if !p.consume('=') {
		return key, sfValue{kind: sfBool, b: true}, p.params()
	}
	if p.peek() == '(' {
		return key, sfValue{kind: sfOther}, p.innerList()
	}
	v, ok := p.bareItem()
	return key, v, ok && p.params()
}

// key reads lcalpha / "*" then lcalpha, DIGIT, "_", "-", "." or "*"
// (4.2.3.3); uppercase fails, as keys are lowercase.
func (p *sfParser) key() (string, bool) {
	if c := p.peek(); !sfLcalpha(c) && c != '*' {
		return "", false
	}
	start := p.i
	for c := p.peek(); sfLcalpha(c) || sfDigit(c) || c == '_' || c == '-' || c == '.' || c == '*'; c = p.peek() {
		p.i++
	}
	return p.s[start:p.i], true
}

// params reads *( ";" *SP key [ "=" bare-item ] ) (4.2.3.2); they are
// checked for shape and ignored, as no directive has any.
func (p *sfParser) params() bool {
	for p.consume(';') {
		p.sp()
		if _, ok := p.key(); !ok {
			return false
		}
		if p.consume('=') {
			if _, ok := p.bareItem(); !ok {
				return false
			}
		}
	}
	return true
}

// innerList reads "(" *SP [ item *( 1*SP item ) *SP ] ")" and its
// parameters (4.2.1.2); the items are checked and dropped.
func (p *sfParser) innerList() bool {
	p.i++ // "("
	for {
		p.sp()
		if p.consume(')') {
			return p.params()
		}
		if _, ok := p.bareItem(); !ok || !p.params() {
			return false
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return false // items need a space between them; the end needs ")"
		}
	}
}

// bareItem reads an integer, decimal, string, token, byte sequence or
// boolean (4.2.3.1), chosen by its first byte.
func (p *sfParser) bareItem() (sfValue, bool) {
	switch c := p.peek(); {
	case c == '-' || sfDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case sfAlpha(c) || c == '*':
		for p.i++; !p.eof() && sfTokenChar(p.s[p.i]); p.i++ {
		}
		return sfValue{kind: sfOther}, true
	case c == ':':
		// Byte sequence: base64 between colons. The content is never
		// used, so only its alphabet is checked, not its padding.
		for p.i++; !p.eof() && p.s[p.i] != ':'; p.i++ {
			if c := p.s[p.i]; !sfAlpha(c) && !sfDigit(c) && c != '+' && c != '/' && c != '=' {
				return sfValue{}, false
			}
		}
		return sfValue{kind: sfOther}, p.consume(':')
	case c == '?':
		p.i++
		switch p.peek() {
		case '0', '1':
			p.i++
			return sfValue{kind: sfBool, b: p.s[p.i-1] == '1'}, true
		}
	}
	return sfValue{}, false
}

// number reads an integer (at most 15 digits) or a decimal (at most 12
// integer and 3 fraction digits), 4.2.4; past a limit the field fails.
func (p *sfParser) number() (sfValue, bool) {
	start := p.i
	p.consume('-')
	if !sfDigit(p.peek()) {
		return sfValue{}, false
	}
	digits, dot := 0, -1
	for ; !p.eof(); p.i++ {
		if c := p.s[p.i]; sfDigit(c) {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return sfValue{}, false
			}
			dot = digits
		} else {
			break
		}
		if digits > 15 { // an integer's 15 characters; a decimal's 16 with its "."
			return sfValue{}, false
		}
	}
	if dot < 0 {
		n, _ := strconv.ParseInt(p.s[start:p.i], 10, 64) // at most 15 digits: cannot overflow
		return sfValue{kind: sfInt, n: n}, true
	}
	if frac := digits - dot; frac == 0 || frac > 3 {
		return sfValue{}, false
	}
	return sfValue{kind: sfOther}, true
}

// str reads a quoted string (4.2.5): printable ASCII, with \" and \\ the
// only escapes, undone here so that no-cache="a\"b" names a"b.
func (p *sfParser) str() (sfValue, bool) {
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if next := p.peek(); next != '"' && next != '\\' {
				return sfValue{}, false
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return sfValue{kind: sfString, s: b.String()}, true
		case c < 0x20 || c > 0x7e:
			return sfValue{}, false
		default:
			b.WriteByte(c)
		}
	}
	return sfValue{}, false // unterminated
}

func sfLcalpha(c byte) bool { return c >= 'a' && c <= 'z' }
func sfAlpha(c byte) bool   { return sfLcalpha(c) || c >= 'A' && c <= 'Z' }
func sfDigit(c byte) bool   { return c >= '0' && c <= '9' }

// sfTokenChar reports whether c may follow a token's first byte: tchar
// (RFC 9110 section 5.6.2), ":" or "/".
func sfTokenChar(c byte) bool {
	return sfAlpha(c) || sfDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0
}
