package deploy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vergehq/verge/cachepurge"
)

// A purge by hand is queued, said, and sent; the status then lists it as
// sent; one the edge refuses stays pending, with why.
func TestPurgeNowAndStatus(t *testing.T) {
	if err := WriteStatus(io.Discard, nil); err != ErrNoPurgeTargets {
		t.Errorf("status without targets: %v", err)
	}
	for _, c := range []struct {
		name, edgeToken string
		unsent          bool
		status          string // a regexp the status must match
	}{
		{"sent", "tok", false, `(?m)^edges:\n  nothing pending\n  \S+  \{"tags":\["e:posts/a"\]\}  sent `},
		{"refused", "other", true, `(?m)^edges:\n  \S+  \{"tags":\["e:posts/a"\]\}  failed 1 times, next try .*refused the token`},
	} {
		t.Run(c.name, func(t *testing.T) {
			edge := newEdge(t, c.edgeToken)
			o, err := cachepurge.OpenOutbox(t.TempDir(), edgeLimits)
			if err != nil {
				t.Fatal(err)
			}
			targets := []PurgeTarget{{"edges", o, &cachepurge.EdgePurger{Edges: []string{edge.URL}, Token: "tok"}}}
			var w bytes.Buffer
			unsent, err := PurgeNow(t.Context(), &w, targets, cachepurge.Purge{Tags: []string{"e:posts/a"}})
			if err != nil || unsent != c.unsent || !strings.HasPrefix(w.String(), `queued {"tags":["e:posts/a"]}`) {
				t.Fatalf("PurgeNow: unsent %v, %v, said %q", unsent, err, w.String())
			}
			w.Reset()
			if err := WriteStatus(&w, targets); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(c.status).MatchString(w.String()) {
				t.Errorf("status %q, want it to match %s", w.String(), c.status)
			}
		})
	}
}

// The origin's front: the webhook at its path, the program behind
// everything else, and a 503 with Retry-After while the program is down.
func TestWebhookFront(t *testing.T) {
	program := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "program: "+r.Method+" "+r.URL.Path)
	}))
	front := httptest.NewServer(NewWebhook(testSite(t, Config{}), "tok", io.Discard).Front(program.Listener.Addr().String()))
	defer front.Close()
	get := func(method, path string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, front.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, c := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/api/x", 200, "program: GET /api/x"},
		{"GET", WebhookPath, 200, "program: GET " + WebhookPath}, // only POST is the webhook's
		{"POST", WebhookPath, 401, "missing or wrong bearer token"},
	} {
		if status, body, _ := get(c.method, c.path); status != c.status || !strings.Contains(body, c.body) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, status, body, c.status, c.body)
		}
	}
	program.Close()
	if status, body, h := get("GET", "/api/x"); status != 503 || h.Get("Retry-After") != "1" || h.Get("Cache-Control") != "no-store" || !strings.Contains(body, "restarting") {
		t.Errorf("program down: %d %q %v", status, body, h)
	}
}
