package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/cffake"
)

// post posts body to the webhook at base with token, and returns the
// status and the body of the answer.
func post(t *testing.T, base, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+WebhookPath, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// The webhook answers each request on its own merits, and queues only
// what it accepts.
func TestWebhook(t *testing.T) {
	edge := newEdge(t, "edge-tok")
	t.Setenv("VERGE_PURGE_TOKEN", "edge-tok")
	s := testSite(t, Config{OutputDir: "dist", PurgeEdges: []string{edge.URL}})
	writeBuild(t, filepath.Join(s.Dir, "dist"), map[string]page{
		"/posts/a/index.html": {body: "a", tags: []string{"e:posts/a"}},
	}, nil)
	srv := httptest.NewServer(NewWebhook(s, "hook-tok", io.Discard))
	defer srv.Close()
	for _, c := range []struct {
		name, token, body string
		status            int
		has               string
	}{
		{"no token", "", `{"tags":["a"]}`, http.StatusUnauthorized, "missing or wrong bearer token"},
		{"wrong token", "nope", `{"tags":["a"]}`, http.StatusUnauthorized, "missing or wrong bearer token"},
		{"not JSON", "hook-tok", `tags=a`, http.StatusBadRequest, "the body must be JSON"},
		{"prefixes are not queued", "hook-tok", `{"prefixes":["/posts/"]}`, http.StatusBadRequest, "not by prefixes"},
		{"nothing", "hook-tok", `{}`, http.StatusBadRequest, "nothing to purge"},
		{"bad tag", "hook-tok", `{"tags":["has space"]}`, http.StatusBadRequest, "purge: "},
		{"not content", "hook-tok", `{"content":["content/posts/a.txt"]}`, http.StatusBadRequest, "is not a content file"},
		{"tags", "hook-tok", `{"tags":["e:posts/b"]}`, http.StatusAccepted, `"target":"edges"`},
		{"content", "hook-tok", `{"content":["content/posts/a.md"]}`, http.StatusAccepted, "tag e:posts/a, read by 1 pages of the last build"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, srv.URL, c.token, c.body)
			if status != c.status || !strings.Contains(body, c.has) {
				t.Errorf("%d %q, want %d with %q", status, body, c.status, c.has)
			}
		})
	}
	targets, _ := s.PurgeTargets()
	st, _ := targets[0].Outbox.Status()
	if len(st.Pending) != 1 || strings.Join(st.Pending[0].Tags, ",") != "fn:e:posts/a,fn:e:posts/b,fn:m:posts/a,tree:/" {
		t.Fatalf("queued %+v, want the accepted tags, merged", st.Pending)
	}
	// Run sends what was queued, and stops with its context.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	hook := NewWebhook(s, "hook-tok", io.Discard)
	go func() { hook.Run(ctx, 50*time.Millisecond); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); len(edge.received()) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got := edge.tags(); strings.Join(got, ",") != "fn:e:posts/a,fn:e:posts/b,fn:m:posts/a,tree:/" {
		t.Errorf("the edge got %v", got)
	}
}

// Without purge targets, the webhook says so with a 503: the sender
// retries once they are configured.
func TestWebhookNoTargets(t *testing.T) {
	srv := httptest.NewServer(NewWebhook(testSite(t, Config{}), "tok", io.Discard))
	defer srv.Close()
	if status, body := post(t, srv.URL, "tok", `{"everything":true}`); status != http.StatusServiceUnavailable || !strings.Contains(body, "nothing to purge") {
		t.Errorf("%d %q", status, body)
	}
}

// Issue 12, item 15: the webhook's 202 named the purge with an empty ID
// and a zero time. It names the purge as queued: the ID verge purge
// --status shows, and when it was queued.
func TestWebhookAnswerNamesQueuedPurge(t *testing.T) {
	api := httptest.NewServer(cffake.New(cffake.Options{}))
	defer api.Close()
	t.Setenv("CLOUDFLARE_API_TOKEN", "test-token")
	t.Setenv("CLOUDFLARE_BASE_URL", api.URL+"/client/v4/")
	s := testSite(t, Config{Cloudflare: Cloudflare{AccountID: "acct", Script: "blog", ZoneID: "zone"}})
	srv := httptest.NewServer(NewWebhook(s, "hook-secret", io.Discard))
	defer srv.Close()
	before := time.Now().Add(-time.Second)
	status, data := post(t, srv.URL, "hook-secret", `{"tags":["e:posts/p1"]}`)
	var ans webhookAnswer
	if err := json.Unmarshal([]byte(data), &ans); err != nil || status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s (%v)", status, data, err)
	}
	o, err := cachepurge.OpenOutbox(s.Layout.CloudflareOutbox(), cachepurge.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := o.Status()
	if len(st.Pending) != 1 || ans.Queued.ID != st.Pending[0].ID || ans.Queued.Queued.Before(before) ||
		len(ans.Purges) != 1 || ans.Purges[0].Target != "cloudflare" || ans.Purges[0].ID != ans.Queued.ID {
		t.Errorf("webhook answered %s; the outbox holds %+v", data, st.Pending)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ".verge", "outbox-cloudflare")); err != nil {
		t.Errorf("the outbox is not where Layout says: %v", err)
	}
}
