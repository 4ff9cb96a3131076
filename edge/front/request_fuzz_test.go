package front

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/fuzzmut"
)

// requestSeeds are plain requests and near misses of them: the shapes
// the fast path must either read exactly as net/http does or decline.
var requestSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"HEAD /p?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding: br, gzip\r\n\r\n",
	"GET /a/b.css HTTP/1.1\r\nhost: a\r\nIf-None-Match: \"x\", W/\"y\"\r\nX-Echo:  v \t\r\nConnection: keep-alive\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nConnection: close\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
	"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET http://evil.example/p4 HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /_verge/./purge HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",
	"GET /%2F HTTP/1.1\r\nHost: a\r\n\r\n",
}

// FuzzRequestHead checks the front end's request parser against
// net/http's (http.ReadRequest plus the checks net/http's Server adds to
// it): whatever bytes arrive, a request the front end reads itself must
// be one net/http reads the same way, field for field, and ends where
// net/http says it ends, so that the next request on the connection
// starts at the same byte for both (no smuggling through the seam).
//
// The front end is deliberately stricter: it declines anything outside
// its plain subset (a body, HTTP/1.0, a bare LF, an escape in the path,
// an absolute-form target, ...), and a declined request goes to net/http
// from its first byte. So the oracle is "front accepts => net/http
// accepts and agrees"; "front declines" is always allowed, and is not a
// rejection: the client gets net/http's answer.
func FuzzRequestHead(f *testing.F) { fuzzmut.Target(f, requestSeeds, requestHeadAgrees) }

// TestRequestHeadMutated runs FuzzRequestHead's property over a fixed
// stream of mutated requests, within a plain `go test`.
func TestRequestHeadMutated(t *testing.T) {
	fuzzmut.Stream(t, 150000, "FuzzRequestHead", requestSeeds, requestHeadAgrees)
}

func requestHeadAgrees(in string) string {
	// What the front end does with these bytes, as serveConn does: find
	// the head in what is buffered, then parse it.
	br := bufio.NewReaderSize(strings.NewReader(in), headMax)
	head, plain, err := peekHead(br)
	if err != nil || !plain {
		return "" // declined: net/http reads it
	}
	var r Request
	if !parseHead(head, &r) {
		return ""
	}

	sr := strings.NewReader(in)
	nbr := bufio.NewReader(sr)
	req, err := http.ReadRequest(nbr)
	if err != nil {
		return fmt.Sprintf("front accepts, net/http rejects: %v", err)
	}
	// What net/http's Server checks on top of ReadRequest (server.go
	// readRequest): one valid Host, valid field names and values.
	if hosts := req.Header["Host"]; len(hosts) > 0 {
		return fmt.Sprintf("Host left in the header map: %q", hosts)
	}
	if strings.Trim(req.Host, serverHostChars) != "" {
		return fmt.Sprintf("front accepts a Host net/http's server rejects: %q", req.Host)
	}
	body, err := io.ReadAll(req.Body)
	switch {
	case err != nil:
		return fmt.Sprintf("net/http body: %v", err)
	case len(body) != 0 || req.ContentLength != 0 || len(req.TransferEncoding) != 0:
		return fmt.Sprintf("front takes a request with a body: net/http reads %d bytes, Content-Length %d, %q", len(body), req.ContentLength, req.TransferEncoding)
	}
	if consumed := len(in) - sr.Len() - nbr.Buffered(); consumed != len(head) {
		return fmt.Sprintf("the request ends at byte %d for the front end, %d for net/http", len(head), consumed)
	}

	switch {
	case req.Method != r.Method:
		return fmt.Sprintf("method %q, net/http %q", r.Method, req.Method)
	case req.Proto != "HTTP/1.1" || req.ProtoMajor != 1 || req.ProtoMinor != 1:
		return fmt.Sprintf("front takes proto %q", req.Proto)
	case req.RequestURI != r.RequestURI():
		return fmt.Sprintf("target %q, net/http %q", r.RequestURI(), req.RequestURI)
	case req.URL.Path != r.Path || req.URL.RawPath != "" && req.URL.RawPath != r.Path:
		// The front end takes no escapes, so its raw path is the
		// decoded one: both route on the same path. (net/http keeps
		// RawPath for a byte such as ' that it would escape.)
		return fmt.Sprintf("path %q, net/http %q (raw %q)", r.Path, req.URL.Path, req.URL.RawPath)
	case req.URL.RawQuery != r.Query:
		return fmt.Sprintf("query %q, net/http %q", r.Query, req.URL.RawQuery)
	case req.URL.Host != "" || req.URL.Scheme != "":
		return fmt.Sprintf("front takes an absolute target: %v", req.URL)
	case req.Close != r.close:
		return fmt.Sprintf("close %v, net/http %v", r.close, req.Close)
	}
	host, _ := r.Header("Host")
	if string(host) != req.Host {
		return fmt.Sprintf("Host %q, net/http %q", host, req.Host)
	}
	// Every field, by canonical name, with the same values in order;
	// Host is in req.Host, not the map.
	names := map[string]bool{}
	for _, f := range r.headers {
		if k := http.CanonicalHeaderKey(string(f.name)); k != "Host" {
			names[k] = true
		}
	}
	if len(names) != len(req.Header) {
		return fmt.Sprintf("fields %v, net/http %v", names, req.Header)
	}
	for k := range names {
		want := req.Header.Values(k)
		if got := r.Values(k); !slices.Equal(got, want) {
			return fmt.Sprintf("%s: %q, net/http %q", k, got, want)
		}
		if got, ok := r.Header(k); !ok || string(got) != strings.Join(want, ", ") {
			return fmt.Sprintf("Header(%s) = %q, want net/http's lines joined: %q", k, got, strings.Join(want, ", "))
		}
		if !r.Has(k) || !r.Has(strings.ToLower(k)) {
			return fmt.Sprintf("Has(%s) is false", k)
		}
	}
	return ""
}

// serverHostChars are the bytes net/http's server allows in Host
// (httpguts.ValidHostHeader, whose package the module does not build
// here without golang.org/x/text): textproto has already checked the
// field names and values.
const serverHostChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&()*+,-.:;=[]_~'"
