package front_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/front"
)

// marker answers GET and HEAD for /fast itself, and panics for /panic.
type marker struct{ n atomic.Int64 }

func (m *marker) Respond(w *front.Writer, r *front.Request) bool {
	switch r.Path {
	case "/panic":
		panic("boom")
	case "/fast":
		m.n.Add(1)
		w.StatusLine(http.StatusOK)
		w.Header("X-Answered-By", "front")
		if v, ok := r.Header("X-Echo"); ok {
			w.Header("X-Echo", string(v))
		}
		body := []byte("fast " + r.Query)
		w.ContentLength(len(body))
		if r.HeadOnly() {
			w.EndHeaders()
		} else {
			w.Body(body)
		}
		return true
	}
	return false
}

// start runs a front server whose fallback answers "slow", with the
// request body's length, and returns its address.
func start(t *testing.T, idle time.Duration) (string, *marker, *front.Server) {
	t.Helper()
	m := &marker{}
	fb := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Answered-By", "net/http")
		io.WriteString(w, "slow "+r.Method+" "+r.URL.RequestURI()+" "+string(rune('0'+len(b)%10)))
	})}
	s := &front.Server{Responder: m, Fallback: fb, ReadHeaderTimeout: 2 * time.Second, IdleTimeout: idle}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ln.Addr().String(), m, s
}

// exchange writes raw to a new connection and reads n responses.
func exchange(t *testing.T, addr, raw string, n int) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var req *http.Request
	if strings.HasPrefix(raw, "HEAD ") {
		req = &http.Request{Method: "HEAD"} // a response without a body
	}
	return readResponsesFor(t, bufio.NewReader(c), n, req)
}

func readResponses(t *testing.T, br *bufio.Reader, n int) []*http.Response {
	return readResponsesFor(t, br, n, nil)
}

func readResponsesFor(t *testing.T, br *bufio.Reader, n int, req *http.Request) []*http.Response {
	t.Helper()
	var out []*http.Response
	for range n {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("response %d: %v", len(out)+1, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("response %d body: %v", len(out)+1, err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		resp.Header.Set("X-Body", string(body))
		out = append(out, resp)
	}
	return out
}

// Which requests the front end answers, and which it leaves to net/http
// untouched, byte for byte.
func TestFrontOrFallback(t *testing.T) {
	addr, _, _ := start(t, time.Minute)
	tests := []struct {
		name, raw string
		by        string // X-Answered-By, "" for net/http's own 4xx
		status    int
		body      string
	}{
		{"plain GET", "GET /fast?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "front", 200, "fast q=1"},
		{"HEAD", "HEAD /fast HTTP/1.1\r\nHost: x\r\n\r\n", "front", 200, ""},
		{"field names in any case", "GET /fast HTTP/1.1\r\nhOST: x\r\nx-echo:  a b \r\n\r\n", "front", 200, "fast "},
		{"declined", "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "net/http", 200, "slow GET /other 0"},
		{"POST with a body", "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "net/http", 200, "slow POST /fast 3"},
		{"chunked body", "GET /fast HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", "net/http", 200, "slow GET /fast 2"},
		{"HTTP/1.0", "GET /fast HTTP/1.0\r\n\r\n", "net/http", 200, "slow GET /fast 0"},
		{"escaped path", "GET /f%61st HTTP/1.1\r\nHost: x\r\n\r\n", "net/http", 200, "slow GET /f%61st 0"},
		{"absolute form", "GET http://x/fast HTTP/1.1\r\nHost: x\r\n\r\n", "net/http", 200, "slow GET /fast 0"},
		{"bare LF lines", "GET /fast HTTP/1.1\nHost: x\n\n", "net/http", 200, "slow GET /fast 0"},
		{"upgrade", "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "net/http", 200, "slow GET /fast 0"},
		{"no Host", "GET /fast HTTP/1.1\r\n\r\n", "", 400, ""},
		{"two Hosts", "GET /fast HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "", 400, ""},
		{"bad field name", "GET /fast HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", "", 400, ""},
		{"folded field", "GET /fast HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", "net/http", 200, "slow GET /fast 0"},
		{"bad method", "G(T /fast HTTP/1.1\r\nHost: x\r\n\r\n", "", 400, ""},
		{"huge head", "GET /fast HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 20000) + "\r\n\r\n", "net/http", 200, "slow GET /fast 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := exchange(t, addr, tc.raw, 1)[0]
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("X-Answered-By"); got != tc.by {
				t.Errorf("answered by %q, want %q", got, tc.by)
			}
			if tc.body != "" && resp.Header.Get("X-Body") != tc.body {
				t.Errorf("body %q, want %q", resp.Header.Get("X-Body"), tc.body)
			}
			if tc.status == 200 && resp.Header.Get("Date") == "" {
				t.Error("no Date")
			}
		})
	}
	t.Run("field values trimmed", func(t *testing.T) {
		resp := exchange(t, addr, "GET /fast HTTP/1.1\r\nHost: x\r\nX-Echo: \t a b \t\r\n\r\n", 1)[0]
		if got := resp.Header.Get("X-Echo"); got != "a b" {
			t.Errorf("X-Echo %q", got)
		}
	})
}

// Pipelined requests get their responses in order, and once one goes to
// net/http, the rest of the connection does too: nothing is lost or
// answered twice at the switch.
func TestFrontPipelineAndHandoff(t *testing.T) {
	addr, m, _ := start(t, time.Minute)
	raw := "GET /fast?1 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"GET /fast?2 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /fast?4 HTTP/1.1\r\nHost: x\r\n\r\n"
	resps := exchange(t, addr, raw, 4)
	want := []struct{ by, body string }{
		{"front", "fast 1"}, {"front", "fast 2"}, {"net/http", "slow POST /other 5"}, {"net/http", "slow GET /fast?4 0"},
	}
	for i, w := range want {
		if got := resps[i].Header.Get("X-Answered-By"); got != w.by || resps[i].Header.Get("X-Body") != w.body {
			t.Errorf("response %d: by %q body %q, want %q %q", i+1, got, resps[i].Header.Get("X-Body"), w.by, w.body)
		}
	}
	if m.n.Load() != 2 {
		t.Errorf("front answered %d, want 2", m.n.Load())
	}
}

// Connection: close is honoured; an idle connection is closed after the
// idle timeout; a panicking responder costs its connection only.
func TestFrontConnectionEnds(t *testing.T) {
	addr, _, _ := start(t, 300*time.Millisecond)
	expectEOF := func(t *testing.T, c net.Conn, br *bufio.Reader, within time.Duration) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(within))
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("read after the end: %v, want EOF", err)
		}
	}
	t.Run("Connection: close", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		br := bufio.NewReader(c)
		resp := readResponses(t, br, 1)[0]
		if !resp.Close || resp.Header.Get("X-Answered-By") != "front" {
			t.Errorf("headers %v", resp.Header)
		}
		expectEOF(t, c, br, 2*time.Second)
	})
	t.Run("idle", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		readResponses(t, br, 1)
		expectEOF(t, c, br, 3*time.Second)
	})
	t.Run("panic", func(t *testing.T) {
		c := dial(t, addr)
		io.WriteString(c, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
		expectEOF(t, c, bufio.NewReader(c), 2*time.Second)
		if resp := exchange(t, addr, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n", 1)[0]; resp.StatusCode != 200 {
			t.Errorf("after a panic: %d", resp.StatusCode)
		}
	})
	t.Run("head sent slowly", func(t *testing.T) {
		c := dial(t, addr)
		br := bufio.NewReader(c)
		for _, part := range []string{"GET /fa", "st HTTP/1.1\r\nHo", "st: x\r\n", "\r\n"} {
			io.WriteString(c, part)
			time.Sleep(20 * time.Millisecond)
		}
		if resp := readResponses(t, br, 1)[0]; resp.Header.Get("X-Answered-By") != "front" {
			t.Errorf("answered by %q", resp.Header.Get("X-Answered-By"))
		}
	})
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Shutdown ends idle connections at once and lets Serve return.
func TestFrontShutdown(t *testing.T) {
	m := &marker{}
	s := &front.Server{Responder: m, Fallback: &http.Server{Handler: http.NotFoundHandler()}, IdleTimeout: time.Minute}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	readResponses(t, br, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("shutdown took %v", time.Since(start))
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("idle connection after shutdown: %v, want EOF", err)
	}
}

// big answers /big with a large body.
type big struct{ body []byte }

func (b big) Respond(w *front.Writer, r *front.Request) bool {
	if r.Path != "/big" {
		return false
	}
	w.StatusLine(http.StatusOK)
	w.ContentLength(len(b.body))
	w.Body(b.body)
	return true
}

// A client that stops reading loses its connection after WriteTimeout,
// and does not hold up anyone else meanwhile.
func TestFrontClientStopsReading(t *testing.T) {
	s := &front.Server{Responder: big{make([]byte, 1<<20)}, Fallback: &http.Server{Handler: http.NotFoundHandler()},
		WriteTimeout: 300 * time.Millisecond, IdleTimeout: time.Minute}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Shutdown(context.Background())
	addr := ln.Addr().String()
	stuck := dial(t, addr)
	// Many requests, nothing read: the server's writes fill the socket.
	io.WriteString(stuck, strings.Repeat("GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 64))
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if resp := exchange(t, addr, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 1)[0]; resp.StatusCode != 200 {
		t.Fatalf("another client: %d", resp.StatusCode)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Errorf("another client waited %v", time.Since(start))
	}
	// Past the timeout the stuck connection is dropped: reading it now
	// ends (EOF or reset) well before all 64 MB could have been sent.
	time.Sleep(time.Second)
	stuck.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, stuck)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stuck connection is still open after %d bytes", n)
	}
	if n >= 64<<20 {
		t.Errorf("the stuck connection got all %d bytes", n)
	}
}
