package site

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fastYAML parses the front matter most Markdown files have (a flat map of
// keys to plain or quoted scalars, flow lists like [a, b] and block lists
// of scalars) straight into a yaml.Node, several times faster than
// yaml.v3's parser, which was a third of a 10,000-post build's loading
// time. Anything beyond that subset, or anything it is unsure of, returns
// ok == false and the caller uses yaml.v3, which also reports errors: the
// fast path never decides that input is invalid.
func fastYAML(src []byte) (doc *yaml.Node, ok bool) {
	if !printable(src) {
		return nil, false // yaml.v3 rejects it, and says why
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	seen := map[string]bool{}
	var list *yaml.Node // the block sequence being filled, if any
	listIndent := 0
	line := 0
	for len(src) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			l, src = src[:i], src[i+1:]
		} else {
			l, src = src, nil
		}
		raw := l
		l = bytes.TrimRight(l, " \t\r")
		trimmed := bytes.TrimLeft(l, " ")
		switch {
		case len(trimmed) == 0 && bytes.IndexByte(raw, '\t') >= 0:
			return nil, false // yaml.v3 may read a tab here as bad indentation
		case len(trimmed) == 0 || trimmed[0] == '#':
			continue
		case trimmed[0] == '-' && list != nil && len(trimmed) > 2 && trimmed[1] == ' ':
			indent := len(l) - len(trimmed)
			if len(list.Content) == 0 {
				listIndent = indent
			} else if indent != listIndent {
				return nil, false // items must line up
			}
			item, ok := fastScalar(bytes.TrimLeft(trimmed[1:], " "), line, indent+3)
			if !ok {
				return nil, false
			}
			list.Content = append(list.Content, item)
			continue
		case len(l) != len(trimmed) || l[0] == '\t':
			return nil, false // indentation outside a list: nested maps and the like
		}
		list = nil
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 || !plainKey(l[:colon]) || (colon+1 < len(l) && l[colon+1] != ' ') {
			return nil, false
		}
		key := string(l[:colon])
		if (&yaml.Node{Kind: yaml.ScalarNode, Value: key}).ShortTag() != "!!str" {
			return nil, false // null, true, .inf, ...: yaml.v3 reads a key like that as no string
		}
		if seen[key] {
			return nil, false
		}
		seen[key] = true
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: line, Column: 1}
		rest := bytes.TrimLeft(l[colon+1:], " ")
		col := len(l) - len(rest) + 1
		var v *yaml.Node
		switch {
		case len(rest) == 0:
			// A block list may follow; if not, the value is null.
			list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line + 1, Column: 3}
			v = list
		case rest[0] == '[':
			if v, ok = fastFlowList(rest, line, col); !ok {
				return nil, false
			}
		default:
			if v, ok = fastScalar(rest, line, col); !ok {
				return nil, false
			}
		}
		m.Content = append(m.Content, k, v)
	}
	// "key:" with nothing below is null, not an empty list.
	for i := 1; i < len(m.Content); i += 2 {
		if v := m.Content[i]; v.Kind == yaml.SequenceNode && v.Style != yaml.FlowStyle && len(v.Content) == 0 {
			m.Content[i] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "", Line: v.Line - 1, Column: v.Column}
		}
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: 1, Column: 1, Content: []*yaml.Node{m}}, true
}

func plainKey(k []byte) bool {
	for i, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// fastScalar reads one scalar: double-quoted without escapes,
// single-quoted without inner quotes, or a plain scalar that cannot be
// mistaken for other YAML syntax.
func fastScalar(s []byte, line, col int) (*yaml.Node, bool) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Line: line, Column: col}
	switch s[0] {
	case '"':
		inner := s[1:]
		if len(inner) == 0 || inner[len(inner)-1] != '"' {
			return nil, false
		}
		inner = inner[:len(inner)-1]
		if bytes.ContainsAny(inner, "\"\\") {
			return nil, false
		}
		n.Style, n.Tag, n.Value = yaml.DoubleQuotedStyle, "!!str", string(inner)
		return n, true
	case '\'':
		inner := s[1:]
		if len(inner) == 0 || inner[len(inner)-1] != '\'' || bytes.IndexByte(inner[:len(inner)-1], '\'') >= 0 {
			return nil, false
		}
		n.Style, n.Tag, n.Value = yaml.SingleQuotedStyle, "!!str", string(inner[:len(inner)-1])
		return n, true
	}
	if !plainScalar(s) {
		return nil, false
	}
	n.Value = string(s)
	return n, true
}

// plainScalar accepts plain scalars free of indicators: no leading
// special character, no ": " or " #" inside, no trailing colon.
func plainScalar(s []byte) bool {
	if len(s) == 0 || strings.IndexByte("?:,[]{}#&*!|>'\"%@`", s[0]) >= 0 {
		return false
	}
	if s[0] == '-' && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	return !bytes.Contains(s, []byte(": ")) && !bytes.Contains(s, []byte(" #")) && s[len(s)-1] != ':' && !bytes.ContainsAny(s, "\t")
}

// fastFlowList reads [a, b, "c"] whose items are scalars.
func fastFlowList(s []byte, line, col int) (*yaml.Node, bool) {
	if s[len(s)-1] != ']' {
		return nil, false
	}
	inner := bytes.TrimSpace(s[1 : len(s)-1])
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: line, Column: col}
	if len(inner) == 0 {
		return seq, true
	}
	if bytes.ContainsAny(inner, "[]{}") {
		return nil, false
	}
	for _, item := range bytes.Split(inner, []byte(",")) {
		item = bytes.TrimSpace(item)
		if len(item) == 0 {
			return nil, false
		}
		if item[0] != '"' && item[0] != '\'' && bytes.ContainsAny(item, "?:#") {
			return nil, false // yaml.v3's flow scanner reads these specially
		}
		n, ok := fastScalar(item, line, col)
		if !ok {
			return nil, false
		}
		seq.Content = append(seq.Content, n)
	}
	return seq, true
}

// printable reports whether src holds only what YAML allows in a stream
// (YAML 1.2 section 5.1, as yaml.v3 checks it): valid UTF-8 without
// control characters but tab, LF and CR, and no byte order mark inside.
// The fast path would otherwise read as valid what yaml.v3 rejects.
func printable(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			if c == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
				return false // a line break to YAML, not to the fast path's line count
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n == 1 || r < 0xA0 && r != 0x85 || r == 0xFEFF || r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}
