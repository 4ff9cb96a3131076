package httpcache

// This file reads the directives a response or request carries, as the
// RFCs say a recipient must: names case-insensitive, the first of
// duplicates, malformed values neither trusted nor fatal.

import (
	"net/http"
	"strconv"
	"strings"
)

// MaxDelta is where delta-seconds saturate (RFC 9111 section 1.2.2): a
// larger value, however many digits, means 2^31.
const MaxDelta = 1 << 31

// Seconds is a delta-seconds directive value. Absent (the directive was
// not given) and Invalid (given, but not a non-negative integer) are
// distinct from any duration: an invalid max-age makes a response stale,
// an absent one defers to the next rule.
type Seconds struct {
	Value   int64
	Present bool
	Invalid bool
}

// Valid reports whether the directive was given with a usable value.
func (s Seconds) Valid() bool { return s.Present && !s.Invalid }

// Directives are the cache directives of one field (Cache-Control or a
// targeted field such as CDN-Cache-Control).
type Directives struct {
	MaxAge, SMaxAge                    Seconds
	StaleWhileRevalidate, StaleIfError Seconds
	MaxStale, MinFresh                 Seconds // request directives
	MaxStaleAny                        bool    // max-stale without a value: any staleness
	NoStore, NoTransform, OnlyIfCached bool
	Public, MustRevalidate             bool
	ProxyRevalidate, MustUnderstand    bool
	Immutable                          bool
	// NoCache and Private without field names apply to the whole
	// response; with names (NoCacheFields, PrivateFields) only to those
	// header fields, which a shared cache may then drop and store the
	// rest.
	NoCache, Private             bool
	NoCacheFields, PrivateFields []string
}

// ParseCacheControl reads the Cache-Control field lines of h. A directive
// given twice counts once, as first given (RFC 9111 section 4.2.1 allows
// the first occurrence).
func ParseCacheControl(h http.Header) Directives {
	var d Directives
	seen := map[string]bool{}
	for _, line := range h.Values("Cache-Control") {
		for _, item := range SplitList(line) {
			name, value, hasValue := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			value = strings.TrimSpace(value)
			d.Set(name, value, hasValue)
		}
	}
	return d
}

// Set records one directive as Cache-Control would carry it; value is as
// written (quoted or not). The targeted fields (RFC 9213), which spell
// the same directives as a structured dictionary, map onto it.
func (d *Directives) Set(name, value string, hasValue bool) {
	switch name {
	case "max-age":
		d.MaxAge = ParseSeconds(value, hasValue)
	case "s-maxage":
		d.SMaxAge = ParseSeconds(value, hasValue)
	case "stale-while-revalidate":
		d.StaleWhileRevalidate = ParseSeconds(value, hasValue)
	case "stale-if-error":
		d.StaleIfError = ParseSeconds(value, hasValue)
	case "min-fresh":
		d.MinFresh = ParseSeconds(value, hasValue)
	case "max-stale":
		if hasValue {
			d.MaxStale = ParseSeconds(value, true)
		} else {
			d.MaxStaleAny = true
		}
	case "no-store":
		d.NoStore = true
	case "no-transform":
		d.NoTransform = true
	case "only-if-cached":
		d.OnlyIfCached = true
	case "public":
		d.Public = true
	case "must-revalidate":
		d.MustRevalidate = true
	case "proxy-revalidate":
		d.ProxyRevalidate = true
	case "must-understand":
		d.MustUnderstand = true
	case "immutable":
		d.Immutable = true
	case "no-cache":
		if f := fieldNames(value, hasValue); f != nil {
			d.NoCacheFields = f
		} else {
			d.NoCache = true
		}
	case "private":
		if f := fieldNames(value, hasValue); f != nil {
			d.PrivateFields = f
		} else {
			d.Private = true
		}
	}
}

// ParseSeconds reads delta-seconds: 1*DIGIT, unquoted (RFC 9111 section
// 1.2.2 and 5.2: senders use the token form; a quoted, signed or
// fractional value is invalid).
func ParseSeconds(v string, hasValue bool) Seconds {
	s := Seconds{Present: true}
	if !hasValue || v == "" {
		s.Invalid = true
		return s
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			s.Invalid = true
			return s
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > MaxDelta {
		n = MaxDelta
	}
	s.Value = n
	return s
}

// fieldNames reads the quoted field-name list of a qualified no-cache or
// private; nil means the unqualified form.
func fieldNames(v string, hasValue bool) []string {
	if !hasValue {
		return nil
	}
	v = strings.Trim(strings.TrimSpace(v), `"`)
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, http.CanonicalHeaderKey(f))
		}
	}
	return out
}

// SplitList splits a comma-separated field value, leaving commas inside
// quoted strings alone (private="a, b").
func SplitList(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				if item := strings.TrimSpace(s[start:i]); item != "" {
					out = append(out, item)
				}
				start = i + 1
			}
		}
	}
	if item := strings.TrimSpace(s[start:]); item != "" {
		out = append(out, item)
	}
	return out
}
