package attacktest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Answer is one response read back by Send.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// Send writes req, exactly as given, on a new connection to addr and
// reads one response: the way to put malformed or hostile request bytes
// in front of a server that net/http's client would refuse to send.
func Send(t testing.TB, addr, req string) Answer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", req, err)
	}
	return Answer{resp.StatusCode, resp.Header, string(b)}
}
