package cache

// This file holds what the proxy forwards of a client's request: the
// request target exactly as routed and keyed, the origin's Host, and the
// forwarding fields it sets itself. Whatever reaches the origin is either
// in the cache key (the path and query; a Vary the proxy adds) or the
// same for every client, so that no client can make the origin write an
// answer that the cache then gives to others.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/vergehq/verge/internal/httpcache"
)

// fromClientsNever are request fields that name another target, host or
// method than the request line does. Some frameworks obey them, so an
// origin could answer for another URL than the one the cache keys on;
// the proxy never forwards them, from anyone.
var fromClientsNever = []string{
	"Forwarded", "X-Original-Url", "X-Rewrite-Url", "X-Original-Host", "X-Host",
	"X-Forwarded-Server", "X-Forwarded-Port", "X-Forwarded-Scheme", "X-Forwarded-Prefix",
	"X-Real-Ip", "X-Http-Method-Override", "X-Http-Method", "X-Method-Override",
}

// fromTrustedOnly are the forwarding fields the proxy keeps only from a
// trusted proxy (SetTrustedProxies); from anyone else they are dropped,
// and the proxy sets X-Forwarded-For and X-Forwarded-Proto itself.
var fromTrustedOnly = []string{"X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For"}

// trustedVary is what a response varies on when trusted proxies may
// forward X-Forwarded-Host and X-Forwarded-Proto: the origin sees them,
// so the cache keys on them.
var trustedVary = []string{"X-Forwarded-Host", "X-Forwarded-Proto"}

// ParseTrustedProxies reads addresses and CIDR prefixes ("10.0.0.0/8",
// "192.0.2.7", "::1") for SetTrustedProxies.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// SetTrustedProxies makes the proxy believe X-Forwarded-Host,
// X-Forwarded-Proto and X-Forwarded-For from connections whose remote
// address is in one of prefixes (a load balancer in front of the edge):
// they are forwarded, X-Forwarded-For with the peer's address added, and
// every stored response varies on the first two. From anyone else they
// are dropped. Call it before serving.
func (p *Proxy) SetTrustedProxies(prefixes []netip.Prefix) { p.trusted = prefixes }

// trusts reports whether a request's remote address is a trusted proxy.
func (p *Proxy) trusts(remote netip.Addr) bool {
	for _, pre := range p.trusted {
		if pre.Contains(remote) {
			return true
		}
	}
	return false
}

// remoteAddr is the IP address of a request's peer, or the zero Addr.
func remoteAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// outbound is r as the proxy forwards it and keys it: the client's fields
// without hop-by-hop ones and without the forwarding fields it may not
// set, X-Forwarded-For and X-Forwarded-Proto set by the proxy, and Host
// the origin's (the client's when keepHost). Its Header also holds Host,
// so that a Vary naming Host matches what the origin saw; net/http
// never sends Header["Host"].
func (p *Proxy) outbound(r *http.Request, keepHost bool) *http.Request {
	ctx := r.Context()
	if keepHost {
		ctx = context.WithValue(ctx, keepHostKey{}, true)
	}
	out := r.WithContext(ctx) // a shallow copy: its Header is replaced, nothing else changed
	h := http.Header{}
	copyHeaders(h, r.Header)
	for _, k := range fromClientsNever {
		delete(h, k)
	}
	peer := remoteAddr(r.RemoteAddr)
	if !p.trusts(peer) {
		for _, k := range fromTrustedOnly {
			delete(h, k)
		}
	}
	dropUnderscoreAliases(h)
	if peer.IsValid() {
		if prior := h.Values("X-Forwarded-For"); len(prior) > 0 {
			h.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+peer.String())
		} else {
			h.Set("X-Forwarded-For", peer.String())
		}
	}
	if h.Get("X-Forwarded-Proto") == "" {
		proto := "http"
		if r.TLS != nil {
			proto = "https"
		}
		h.Set("X-Forwarded-Proto", proto)
	}
	out.Host = p.origin.Host
	if keepHost {
		out.Host = r.Host
	}
	h["Host"] = []string{out.Host}
	out.Header = h
	return out
}

// dropUnderscoreAliases removes fields whose names, with "_" read as
// "-", are ones the proxy drops or sets itself: X-Forwarded_Host,
// X_Forwarded_For. CGI, WSGI and PHP hand the origin every field as
// HTTP_NAME with "-" and "_" alike, so to such an origin these are the
// forwarding fields the proxy filters, arriving unfiltered (nginx drops
// every field with "_" for this reason). From anyone, trusted proxies
// too: a load balancer sends the real names, which the proxy handles.
func dropUnderscoreAliases(h http.Header) {
	for k := range h {
		if !strings.Contains(k, "_") {
			continue
		}
		switch alias := http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-")); {
		case slices.Contains(fromClientsNever, alias), slices.Contains(fromTrustedOnly, alias):
			delete(h, k)
		}
	}
}

// varyOn adds to a fetched response's Vary the fields the proxy
// forwards that differ between clients: Host when it keeps the client's,
// X-Forwarded-Host and X-Forwarded-Proto when trusted proxies may set
// them. The cache then keys on them as on any Vary, and says so.
func (p *Proxy) varyOn(h http.Header, keepHost bool) {
	var add []string
	if keepHost {
		add = append(add, "Host")
	}
	if len(p.trusted) > 0 {
		add = append(add, trustedVary...)
	}
	if len(add) == 0 {
		return
	}
	have := map[string]bool{}
	for _, v := range h.Values("Vary") {
		for _, f := range httpcache.SplitList(v) {
			have[http.CanonicalHeaderKey(f)] = true
		}
	}
	var missing []string
	for _, f := range add {
		if !have[f] && !have["*"] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		h.Add("Vary", strings.Join(missing, ", "))
	}
}

// originURL is where the proxy sends a request for u: the origin's
// scheme and host, and u's path and query exactly as the client sent
// them (escapes kept: "%2F" stays "%2F"), which is what the proxy
// routed and keyed on. No reference resolution, which would remove dot
// segments the router did not.
func (p *Proxy) originURL(u *url.URL) *url.URL {
	return &url.URL{Scheme: p.origin.Scheme, Host: p.origin.Host, Path: u.Path, RawPath: u.EscapedPath(), RawQuery: u.RawQuery}
}

// badPath reports why the proxy refuses a request's path, or "": a path
// that does not start with "/" (asterisk-form), or one with "." or ".."
// segments, escaped or not. Clients remove dot segments before sending
// (RFC 3986 section 5.2.4); one that sends them means another path than
// it names, and whoever normalises it later (the origin) would answer
// for a path the edge did not route or key on: "/_verge/./purge".
func badPath(u *url.URL) string {
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		return "the request target is not a path"
	}
	if hasDotSegment(p) {
		return "the path has a dot segment (\".\" or \"..\"): send it resolved"
	}
	return ""
}

// hasDotSegment reports whether path p has a "." or ".." segment,
// without allocating: the front end asks it of every request.
func hasDotSegment(p string) bool {
	for len(p) > 0 {
		p = p[1:] // the slash
		seg := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i:]
		} else {
			p = ""
		}
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// keepHostKey marks, in an outbound request's context, that the
// client's Host is forwarded (ServeKeepingHost).
type keepHostKey struct{}

// keptHost reports whether outbound request r forwards the client's Host.
func keptHost(r *http.Request) bool {
	v, _ := r.Context().Value(keepHostKey{}).(bool)
	return v
}
