package audit

// This file holds what fastTokens gives of a token: its name, its text
// and its attributes, converted as html.Tokenizer converts them
// (lower-cased names, newlines, character references), and only when
// asked for.

import (
	"bytes"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func (z *fastTokens) TagName() ([]byte, bool) {
	switch z.tt {
	case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
	default:
		return nil, false
	}
	name := z.data[z.name.start:z.name.end]
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			z.buf = lowerInto(z.buf[:0], name)
			return z.buf, len(z.attr) > 0
		}
	}
	return name, len(z.attr) > 0
}

func (z *fastTokens) Text() []byte {
	if z.tt != html.TextToken {
		return nil // comments and doctypes: tokenScan reads neither's text
	}
	s := z.data[z.text.start:z.text.end]
	if bytes.IndexByte(s, '\r') >= 0 {
		z.textBuf = convertNewlines(append(z.textBuf[:0], s...))
		s = z.textBuf
	}
	if !z.textRaw && bytes.IndexByte(s, '&') >= 0 {
		s = []byte(html.UnescapeString(string(s)))
	}
	return s
}

func (z *fastTokens) style() ([]byte, bool) {
	for _, a := range z.attr {
		if asciiEqualFold(z.data[a.key.start:a.key.end], "style") {
			raw := z.data[a.val.start:a.val.end]
			if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
				return raw, true
			}
			v, ok := z.attrVal(a.val)
			if !ok {
				z.unsure = true
				return nil, false
			}
			return []byte(v), true
		}
	}
	return nil, false
}

func (z *fastTokens) attrs() []html.Attribute {
	out := make([]html.Attribute, len(z.attr))
	for i, a := range z.attr {
		key := z.data[a.key.start:a.key.end]
		if bytes.ContainsFunc(key, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
			key = lowerInto(nil, key)
		}
		val, ok := z.attrVal(a.val)
		if !ok {
			z.unsure = true
			return nil
		}
		out[i] = html.Attribute{Key: atom.String(key), Val: val}
	}
	return out
}

// attrVal is an attribute's value as the Tokenizer gives it: newlines
// converted, character references replaced as in an attribute.
func (z *fastTokens) attrVal(v span) (string, bool) {
	raw := z.data[v.start:v.end]
	if bytes.IndexByte(raw, '&') < 0 {
		if bytes.IndexByte(raw, '\r') >= 0 {
			return string(convertNewlines(bytes.Clone(raw))), true
		}
		return string(raw), true
	}
	// The Tokenizer's unescaping of attributes is not exported: have it
	// read a tag of just this value, quoted as the value allows.
	quote := byte('"')
	if bytes.IndexByte(raw, '"') >= 0 {
		quote = '\''
		if bytes.IndexByte(raw, '\'') >= 0 {
			return "", false
		}
	}
	tag := make([]byte, 0, len(raw)+8)
	tag = append(append(append(append(tag, "<a v="...), quote), raw...), quote, '>')
	t := html.NewTokenizer(bytes.NewReader(tag))
	if t.Next() != html.StartTagToken {
		return "", false
	}
	_, val, _ := t.TagAttr()
	return string(val), true
}

func lowerInto(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// asciiEqualFold reports whether b is s (lower case) but for the case
// of ASCII letters, as the Tokenizer compares names.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func asciiEqualFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// convertNewlines is the Tokenizer's: "\r\n" and "\r" become "\n", in
// place.
func convertNewlines(s []byte) []byte {
	for i, c := range s {
		if c != '\r' {
			continue
		}
		src := i + 1
		if src >= len(s) || s[src] != '\n' {
			s[i] = '\n'
			continue
		}
		dst := i
		for src < len(s) {
			if s[src] == '\r' {
				if src+1 < len(s) && s[src+1] == '\n' {
					src++
				}
				s[dst] = '\n'
			} else {
				s[dst] = s[src]
			}
			src++
			dst++
		}
		return s[:dst]
	}
	return s
}
