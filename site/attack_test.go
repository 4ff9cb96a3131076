package site_test

// Attacks on the API-function runtime (issue 12, items 1, 4, 7, 8, 10):
// each over real TCP against an httptest server running the real
// runtime (site.NewOrigin), and where the edge is part of the attack,
// through the real edge cache in front of it.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/cache"
	"github.com/vergehq/verge/site"
)

// attackOrigin serves the functions declare adds to the ok fixture.
func attackOrigin(t *testing.T, declare func(s *site.Site)) (*httptest.Server, *syncBuffer) {
	t.Helper()
	dir, _ := extractSite(t, "ok")
	s := site.NewAt(dir)
	declare(s)
	var logs syncBuffer
	o, err := site.NewOrigin(context.Background(), s, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(o)
	t.Cleanup(ts.Close)
	return ts, &logs
}

// throughEdge puts the real edge cache in front of origin.
func throughEdge(t *testing.T, origin *httptest.Server) *httptest.Server {
	t.Helper()
	u, _ := url.Parse(origin.URL)
	edge := httptest.NewServer(cache.NewProxy(u, cache.NewStore(16<<20)))
	t.Cleanup(edge.Close)
	return edge
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, base, path string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// Item 1: a function whose policy caches sets a cookie. Through the edge,
// the second visitor must not get the first one's cookie; the runtime
// warns once, naming the declaration; with CacheWithoutCookies the edge
// keeps the response, and never the cookie.
func TestAttackCachedPolicySetsCookie(t *testing.T) {
	var n atomic.Int64
	setCookie := func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "visitor" + strconv.FormatInt(n.Add(1), 10)})
		_, err := fmt.Fprint(w, "hello")
		return err
	}
	origin, logs := attackOrigin(t, func(s *site.Site) {
		s.Func("GET /api/hello", setCookie, site.EdgeTTL(time.Hour))
		s.Func("GET /api/shared", setCookie, site.EdgeTTL(time.Hour), site.CacheWithoutCookies())
	})
	edge := throughEdge(t, origin)

	first, second := get(t, edge.URL, "/api/hello"), get(t, edge.URL, "/api/hello")
	if c1, c2 := first.header.Get("Set-Cookie"), second.header.Get("Set-Cookie"); c2 == c1 || strings.Contains(second.header.Get("Cache-Status"), "hit") {
		t.Errorf("second visitor got %q (Cache-Status %q), the first's cookie was %q", c2, second.header.Get("Cache-Status"), c1)
	}
	if cc := first.header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("Cache-Control %q: want private, so that no shared cache keeps it", cc)
	}
	if got := strings.Count(logs.String(), "function set a cookie on a response its policy caches"); got != 1 {
		t.Errorf("%d warnings about the cookie, want 1:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), `attack_test.go:`) || !strings.Contains(logs.String(), "site.CacheWithoutCookies()") {
		t.Errorf("the warning names neither the declaration nor the remedy:\n%s", logs.String())
	}

	miss := get(t, edge.URL, "/api/shared")
	hit := get(t, edge.URL, "/api/shared")
	if !strings.Contains(miss.header.Get("Cache-Control"), `private="Set-Cookie"`) || miss.header.Get("Set-Cookie") == "" {
		t.Errorf("opted in: the first answer has Cache-Control %q and Set-Cookie %q", miss.header.Get("Cache-Control"), miss.header.Get("Set-Cookie"))
	}
	if !strings.Contains(hit.header.Get("Cache-Status"), "hit") || hit.header.Get("Set-Cookie") != "" || hit.body != "hello" {
		t.Errorf("opted in: the second answer is %q with Set-Cookie %q and body %q; want a hit without the cookie",
			hit.header.Get("Cache-Status"), hit.header.Get("Set-Cookie"), hit.body)
	}
}

// Item 4: the answer to a request with Authorization is never shared,
// unless the function says Public in so many words.
func TestAttackAuthorizedAnswersAreNotShared(t *testing.T) {
	whoami := func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, "user="+r.Header.Get("Authorization"))
		return err
	}
	origin, _ := attackOrigin(t, func(s *site.Site) {
		s.Func("GET /api/me", whoami, site.EdgeTTL(time.Hour))
		s.Func("GET /api/open", whoami, site.EdgeTTL(time.Hour), site.Public())
	})
	edge := throughEdge(t, origin)
	tests := []struct {
		auth, want string
	}{
		{"Bearer a", "user=Bearer a"},
		{"Bearer a", "user=Bearer a"},
		{"", "user="},
		{"Bearer b", "user=Bearer b"},
	}
	for i, tc := range tests {
		got := get(t, edge.URL, "/api/me", "Authorization", tc.auth)
		if got.body != tc.want {
			t.Errorf("request %d (Authorization %q): %q (Cache-Status %q), want %q", i, tc.auth, got.body, got.header.Get("Cache-Status"), tc.want)
		}
		if i == 0 && strings.Contains(got.header.Get("Cache-Control"), "public") {
			t.Errorf("Cache-Control %q says public though the function did not", got.header.Get("Cache-Control"))
		}
	}
	// Public is the author's word that the answer is everyone's: shared.
	get(t, edge.URL, "/api/open", "Authorization", "Bearer a")
	if got := get(t, edge.URL, "/api/open", "Authorization", "Bearer b"); got.body != "user=Bearer a" {
		t.Errorf("site.Public(): %q (Cache-Status %q), want the stored answer", got.body, got.header.Get("Cache-Status"))
	}
}

// trickle opens a raw connection and POSTs a 1000-byte body to path one
// byte every interval, until the server answers; it returns the status
// line the server sent, or the error.
func trickle(t *testing.T, addr, path string, interval time.Duration) <-chan string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nx", path, addr)
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	status := make(chan string, 1)
	go func() {
		defer close(stop)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			status <- "error: " + err.Error()
			return
		}
		status <- strings.TrimSpace(line)
	}()
	return status
}

// Item 7: two clients trickling their bodies must not take the slots of
// a function with Concurrency(2): a normal POST meanwhile gets 200, and
// the tricklers are cut at the body deadline (the function's Timeout).
func TestAttackTrickledBodiesDoNotPinSlots(t *testing.T) {
	origin, _ := attackOrigin(t, func(s *site.Site) {
		s.Func("POST /api/upload", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "got %d bytes", len(b))
			return err
		}, site.MaxBody(1024), site.Concurrency(2), site.Timeout(2*time.Second))
	})
	addr := strings.TrimPrefix(origin.URL, "http://")
	start := time.Now()
	slow := []<-chan string{trickle(t, addr, "/api/upload", 2*time.Second), trickle(t, addr, "/api/upload", 2*time.Second)}
	time.Sleep(500 * time.Millisecond) // both requests are in the handler, reading their bodies
	resp, err := http.Post(origin.URL+"/api/upload", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "got 5 bytes" {
		t.Errorf("a normal POST during the trickle: %d %q, want 200", resp.StatusCode, body)
	}
	for i, st := range slow {
		if got := <-st; !strings.Contains(got, " 408 ") {
			t.Errorf("trickler %d: %q, want 408 at the body deadline", i, got)
		}
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("the tricklers were cut after %s; the body deadline is 2s", took)
	}
}

// Item 8: a function that ignores its context gives its slot back at
// the timeout; past twice its Concurrency of calls still running, it is
// refused with 503 and a log line, and serves again once they return.
func TestAttackHungFunctionFreesItsSlot(t *testing.T) {
	release := make(chan struct{})
	origin, logs := attackOrigin(t, func(s *site.Site) {
		s.Func("GET /api/hang", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
			if r.URL.Query().Get("hang") != "" {
				<-release // ignores c.Done(), as select {} would, but lets the test end
			}
			_, err := fmt.Fprint(w, "ok")
			return err
		}, site.Concurrency(2), site.Timeout(time.Second))
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	hangTwice := func() []int {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Go(func() { statuses[i] = get(t, origin.URL, "/api/hang?hang=1").status })
		}
		wg.Wait()
		return statuses
	}
	if got := hangTwice(); got[0] != 504 || got[1] != 504 {
		t.Fatalf("hung calls: %v, want two 504s", got)
	}
	if got := get(t, origin.URL, "/api/hang"); got.status != 200 {
		t.Errorf("after two 504s, a normal request: %d %q, want 200", got.status, got.body)
	}
	if got := hangTwice(); got[0] != 504 || got[1] != 504 {
		t.Fatalf("hung calls, again: %v, want two 504s", got)
	}
	if got := get(t, origin.URL, "/api/hang"); got.status != 503 || !strings.Contains(got.body, "running past their timeout") {
		t.Errorf("with 4 calls running past their timeout: %d %q, want 503", got.status, got.body)
	}
	if !strings.Contains(logs.String(), "function refused with 503 until its calls running past their timeout return") ||
		!strings.Contains(logs.String(), `"overrunning":4`) {
		t.Errorf("no log line for the cap:\n%s", logs.String())
	}
	free()
	deadline := time.Now().Add(3 * time.Second)
	for get(t, origin.URL, "/api/hang").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("still refused after the hung calls returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Item 10: a 400 MB response streams through a bounded heap; one over
// its MaxResponse is cut, so the client sees it truncated, and logged.
func TestAttackHugeResponse(t *testing.T) {
	write := func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		chunk := make([]byte, 64<<10)
		for ; n > 0; n -= len(chunk) {
			if _, err := w.Write(chunk[:min(n, len(chunk))]); err != nil {
				return err
			}
		}
		return nil
	}
	origin, logs := attackOrigin(t, func(s *site.Site) {
		s.Func("GET /api/big", write, site.EdgeTTL(time.Hour), site.MaxResponse(512<<20))
		s.Func("GET /api/capped", write, site.MaxResponse(4<<20))
		s.Func("GET /api/tiny", write, site.MaxResponse(1000))
	})

	t.Run("400 MB in a bounded heap", func(t *testing.T) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		resp, err := http.Get(origin.URL + "/api/big?n=400000000")
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		close(stop)
		<-sampled
		if err != nil || n != 400_000_000 {
			t.Fatalf("read %d bytes, err %v; want 400000000", n, err)
		}
		grew := int64(peak.Load()) - int64(base)
		t.Logf("heap grew by %.1f MiB while streaming 400 MB", float64(grew)/(1<<20))
		if grew > 64<<20 {
			t.Errorf("heap grew by %d MiB while streaming 400 MB; want under 64", grew>>20)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" || resp.Header.Get("CDN-Cache-Control") != "" {
			t.Errorf("a streamed response: Cache-Control %q, CDN-Cache-Control %q; want no-store alone", cc, resp.Header.Get("CDN-Cache-Control"))
		}
	})

	t.Run("over MaxResponse, cut", func(t *testing.T) {
		resp, err := http.Get(origin.URL + "/api/capped?n=8000000")
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) || n > 4<<20 {
			t.Errorf("read %d bytes, err %v; want at most 4 MiB and a truncated body", n, err)
		}
		if !strings.Contains(logs.String(), "function response over its limit: cut") || !strings.Contains(logs.String(), `"limit":4194304`) {
			t.Errorf("no log line for the cut:\n%s", logs.String())
		}
	})

	t.Run("over MaxResponse before anything was sent, 500", func(t *testing.T) {
		if got := get(t, origin.URL, "/api/tiny?n=2000"); got.status != 500 {
			t.Errorf("%d %q, want 500", got.status, got.body)
		}
		if got := get(t, origin.URL, "/api/tiny?n=1000"); got.status != 200 || len(got.body) != 1000 {
			t.Errorf("at the limit: %d, %d bytes; want 200 with 1000", got.status, len(got.body))
		}
	})
}

// Item 7's fix reads bodies before a call takes its slot, so the slots no
// longer bound them: many clients that each send most of a large body and
// stall must not make the origin hold all of them. Bodies count against
// one budget as their bytes arrive (64 MiB here: twice the largest
// MaxBody would be less), and past it a request gets 503 with
// Retry-After; the budget comes back when a client goes away.
func TestAttackStalledBodiesStayWithinTheBudget(t *testing.T) {
	const maxBody, each, clients = 16 << 20, 15 << 20, 8 // 120 MiB sent, 64 MiB allowed
	origin, _ := attackOrigin(t, func(s *site.Site) {
		s.Func("POST /api/upload", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "got %d bytes", n)
			return err
		}, site.MaxBody(maxBody), site.Timeout(20*time.Second))
	})
	addr := strings.TrimPrefix(origin.URL, "http://")
	sent := make([]byte, each) // one buffer for all the clients, allocated before measuring
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	statuses := make(chan string, clients)
	var conns []net.Conn
	for range clients {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		// The whole body promised, most of it sent, the rest never.
		go func() {
			fmt.Fprintf(conn, "POST /api/upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, maxBody-1)
			_, _ = conn.Write(sent)
		}()
		go func() {
			line, _ := bufio.NewReader(conn).ReadString('\n')
			statuses <- line
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	refused := 0
	deadline := time.After(10 * time.Second)
	for refused < 3 { // 64 MiB holds four of the eight, and a part of a fifth
		select {
		case line := <-statuses:
			if !strings.Contains(line, " 503 ") {
				t.Fatalf("a stalled body was answered %q, want 503 past the budget", line)
			}
			refused++
		case <-deadline:
			t.Fatalf("%d of %d clients stalling with 15 MiB each were refused; the origin holds them all", refused, clients)
		}
	}
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	if grew := int64(during.HeapInuse) - int64(before.HeapInuse); grew > 64<<20+32<<20 {
		t.Errorf("the heap grew by %d MiB under %d stalled bodies; the budget is 64 MiB", grew>>20, clients)
	}
	for _, c := range conns {
		c.Close()
	}
	// The budget comes back as the clients go: a normal upload is taken.
	var got int
	for range 50 {
		resp, err := http.Post(origin.URL+"/api/upload", "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got = resp.StatusCode; got == http.StatusOK {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got != http.StatusOK {
		t.Errorf("after the stalled clients left, an upload got %d, want 200", got)
	}
}
