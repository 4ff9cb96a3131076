// Package front is the edge's HTTP/1.1 front end. It reads requests off
// each connection itself and lets a Responder answer the plain ones (a
// GET or HEAD without a body, for something held in memory) straight
// into the connection's write buffer. The first request a Responder
// declines, and everything after it on that connection, goes to a
// net/http Server, which gets the connection with the bytes already read.
//
// The common request thus skips net/http's per-request work (a header
// map, a request and a context, a background reader goroutine), which
// is most of what a cache hit costs, while every uncommon request (a
// body, a malformed head, HTTP/1.0, an upgrade, anything a Responder is
// unsure of) keeps net/http's exact behaviour.
package front

import (
	"bytes"
)

// Request is the head of a plain request: GET or HEAD, HTTP/1.1, no
// body, every line well formed. Its fields are valid only until the
// Responder returns.
type Request struct {
	Method     string // "GET" or "HEAD"
	Path       string // the request target's path, as sent (no '%' escapes)
	Query      string // the raw query without '?', "" when none
	RemoteAddr string

	target  []byte
	headers []field
	close   bool // "Connection: close"
}

type field struct{ name, value []byte }

// Header returns the value of the named field (in any case) and whether
// the request has it. A field sent more than once has its values joined
// with ", ", as RFC 9110 allows for list fields.
func (r *Request) Header(name string) (value []byte, ok bool) {
	n := 0
	for _, f := range r.headers {
		if !equalFold(f.name, name) {
			continue
		}
		if n == 0 {
			value = f.value
		} else {
			value = append(append(append([]byte(nil), value...), ", "...), f.value...)
		}
		n++
	}
	return value, n > 0
}

// Values returns the values of the named field (in any case), one per
// line it occurs on, as http.Header.Values does.
func (r *Request) Values(name string) []string {
	var out []string
	for _, f := range r.headers {
		if equalFold(f.name, name) {
			out = append(out, string(f.value))
		}
	}
	return out
}

// Has reports whether the request has the named field.
func (r *Request) Has(name string) bool {
	for _, f := range r.headers {
		if equalFold(f.name, name) {
			return true
		}
	}
	return false
}

// RequestURI is the request target as sent: path and query.
func (r *Request) RequestURI() string { return string(r.target) }

// HeadOnly reports whether the response must have no body.
func (r *Request) HeadOnly() bool { return r.Method == "HEAD" }

// equalFold compares an ASCII field name with name, ignoring case.
func equalFold(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i := range len(b) {
		c, d := b[i], name[i]
		if c|0x20 != d|0x20 {
			return false
		}
		if c != d && (c|0x20 < 'a' || c|0x20 > 'z') {
			return false
		}
	}
	return true
}

// parseHead parses a request head (up to and including the blank line)
// into r. It reports false for anything that is not a plain request as
// described on Request: those go to net/http, which answers them as it
// always does, 400 for the malformed.
func parseHead(head []byte, r *Request) bool {
	line, rest, ok := cutLine(head)
	if !ok {
		return false
	}
	method, line, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return false
	}
	target, proto, ok := bytes.Cut(line, []byte{' '})
	if !ok || string(proto) != "HTTP/1.1" {
		return false
	}
	switch string(method) {
	case "GET":
		r.Method = "GET"
	case "HEAD":
		r.Method = "HEAD"
	default:
		return false
	}
	if len(target) == 0 || target[0] != '/' {
		return false // absolute-form, asterisk-form
	}
	path, query, _ := bytes.Cut(target, []byte{'?'})
	for _, c := range path {
		if !pathChar[c] {
			return false // escapes and the like: net/http's decoding decides
		}
	}
	for _, c := range query {
		if !queryChar[c] {
			return false
		}
	}
	r.target = target
	r.Path = string(path)
	r.Query = string(query)
	r.headers = r.headers[:0]
	r.close = false
	hosts := 0
	for {
		line, rest, ok = cutLine(rest)
		if !ok {
			return false
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 {
			return false
		}
		for _, c := range name {
			if !tokenChar[c] {
				return false
			}
		}
		value = bytes.Trim(value, " \t")
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return false
			}
		}
		switch {
		case equalFold(name, "Host"):
			hosts++
			for _, c := range value {
				if !hostChar[c] {
					return false
				}
			}
		case equalFold(name, "Content-Length"), equalFold(name, "Transfer-Encoding"),
			equalFold(name, "Expect"), equalFold(name, "Upgrade"), equalFold(name, "Trailer"):
			return false // a body, or a protocol change: net/http's job
		case equalFold(name, "Connection"):
			switch {
			case equalFold(value, "close"):
				r.close = true
			case equalFold(value, "keep-alive"):
			default:
				return false
			}
		}
		r.headers = append(r.headers, field{name, value})
	}
	return hosts == 1 && len(rest) == 0
}

// cutLine cuts head at the first CRLF. A bare LF makes the head not
// plain (net/http accepts it; the fast path need not).
func cutLine(head []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(head, '\n')
	if i < 1 || head[i-1] != '\r' {
		return nil, nil, false
	}
	line = head[:i-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, nil, false
	}
	return line, head[i+1:], true
}

// Byte classes: what a plain request's path, query, Host and field
// names may hold.
var (
	pathChar  = charset(alnum + "/-._~!$&'()*+,;=:@")
	queryChar = charset(alnum + "/-._~!$&'()*+,;=:@?%")
	hostChar  = charset(alnum + "-._:[]")
	tokenChar = charset(alnum + "!#$%&'*+-.^_`|~")
)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func charset(chars string) (set [256]bool) {
	for i := range len(chars) {
		set[chars[i]] = true
	}
	return set
}
