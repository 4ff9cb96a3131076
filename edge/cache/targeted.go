package cache

import (
	"net/http"
	"strconv"
	"strings"
)

// TargetedFields are the targeted cache-control fields the edge obeys,
// most specific first (RFC 9213 section 2.2: a cache uses the first of
// its list that is present and valid, and ignores Cache-Control and
// Expires then).
var TargetedFields = []string{"Verge-CDN-Cache-Control", "CDN-Cache-Control"}

// Targeted returns the directives of the first targeted field in h that
// parses and is not empty; ok is false when there is none.
func Targeted(h http.Header) (d Directives, field string, ok bool) {
	for _, f := range TargetedFields {
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

// parseTargeted reads a targeted field: a Structured Fields dictionary
// (RFC 8941 section 3.2). A value that does not parse, or holds nothing,
// is as if absent (RFC 9213 section 2.1).
func parseTargeted(v string) (Directives, bool) {
	var d Directives
	members := 0
	seen := map[string]bool{}
	for _, item := range splitList(v) {
		key, rest := item, ""
		if i := strings.IndexAny(item, "=;"); i >= 0 {
			key, rest = item[:i], item[i:]
		}
		if !sfKey(key) {
			return Directives{}, false
		}
		value, ok := sfBareItem(rest)
		if !ok {
			return Directives{}, false
		}
		members++
		if seen[key] {
			continue // RFC 8941: the last wins; for caching, first is as good and simpler to reason about
		}
		seen[key] = true
		switch value.kind {
		case sfBool:
			if !value.b {
				continue // ?0: not set
			}
			d.set(key, "", false)
		case sfInt:
			if value.n < 0 {
				d.set(key, "-1", true) // present, invalid
				continue
			}
			d.set(key, strconv.FormatInt(value.n, 10), true)
		case sfString:
			if key == "no-cache" || key == "private" {
				d.set(key, value.s, true)
			} else {
				d.set(key, `"`+value.s+`"`, true) // not an integer: invalid
			}
		default:
			d.set(key, "x", true) // a token or decimal where an integer belongs
		}
	}
	return d, members > 0
}

// sfKey reports whether k is an RFC 8941 key: lowercase.
func sfKey(k string) bool {
	if k == "" || !(k[0] == '*' || k[0] >= 'a' && k[0] <= 'z') {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			return false
		}
	}
	return true
}

type sfKind int

const (
	sfBool sfKind = iota
	sfInt
	sfString
	sfOther // token, decimal, byte sequence
)

type sfValue struct {
	kind sfKind
	b    bool
	n    int64
	s    string
}

// sfBareItem reads "=value;params" or ";params" (boolean true); the
// parameters are checked for shape and ignored.
func sfBareItem(rest string) (sfValue, bool) {
	if rest == "" || rest[0] == ';' {
		return sfValue{kind: sfBool, b: true}, sfParams(rest)
	}
	v := rest[1:]
	params := ""
	if i := strings.IndexByte(v, ';'); i >= 0 && !strings.HasPrefix(v, `"`) {
		v, params = v[:i], v[i:]
	}
	switch {
	case v == "?1":
		return sfValue{kind: sfBool, b: true}, sfParams(params)
	case v == "?0":
		return sfValue{kind: sfBool}, sfParams(params)
	case strings.HasPrefix(v, `"`):
		end := strings.LastIndexByte(v, '"')
		if end == 0 {
			return sfValue{}, false
		}
		return sfValue{kind: sfString, s: v[1:end]}, sfParams(v[end+1:])
	case v != "" && (v[0] == '-' || v[0] >= '0' && v[0] <= '9'):
		digits := strings.TrimPrefix(v, "-")
		if strings.Contains(digits, ".") {
			return sfValue{kind: sfOther}, sfParams(params)
		}
		if len(digits) == 0 || len(digits) > 15 {
			return sfValue{}, false // RFC 8941: at most 15 digits
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return sfValue{}, false
		}
		return sfValue{kind: sfInt, n: n}, sfParams(params)
	case v != "" && (v[0] == '*' || v[0] >= 'A' && v[0] <= 'Z' || v[0] >= 'a' && v[0] <= 'z' || v[0] == ':'):
		return sfValue{kind: sfOther}, sfParams(params)
	}
	return sfValue{}, false
}

// sfParams checks ";key[=value]" parameters for shape.
func sfParams(p string) bool {
	for p != "" {
		if p[0] != ';' {
			return false
		}
		p = strings.TrimLeft(p[1:], " ")
		end := strings.IndexByte(p, ';')
		if end < 0 {
			end = len(p)
		}
		item := p[:end]
		key, _, _ := strings.Cut(item, "=")
		if !sfKey(key) {
			return false
		}
		p = p[end:]
	}
	return true
}
