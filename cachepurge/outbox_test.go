package cachepurge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cache"
)

// recorder is a purger that records what it is sent and fails as told.
type recorder struct {
	sent []cachepurge.Purge
	fail error
}

func (r *recorder) Purge(_ context.Context, p cachepurge.Purge) error {
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, p)
	return nil
}

// A purge queued is on disk: an outbox opened again (a restart after a
// crash between queueing and sending) still has it, and sends it once.
func TestOutboxSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	o, err := cachepurge.OpenOutbox(dir, cachepurge.Limits{TagsPerRequest: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Add(cachepurge.Purge{Tags: []string{"e:posts/a"}}); err != nil {
		t.Fatal(err)
	}
	// The process dies here; another opens the outbox.
	o2, err := cachepurge.OpenOutbox(dir, cachepurge.Limits{TagsPerRequest: 100})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	if n, err := o2.Flush(context.Background(), r); err != nil || n != 1 {
		t.Fatalf("flush: %d sent, %v", n, err)
	}
	if len(r.sent) != 1 || !slices.Equal(r.sent[0].Tags, []string{"e:posts/a"}) {
		t.Errorf("sent %+v", r.sent)
	}
	if n, _ := o2.Flush(context.Background(), r); n != 0 {
		t.Errorf("sent again: %d", n)
	}
	st, err := o2.Status()
	if err != nil || len(st.Pending) != 0 || len(st.Sent) != 1 {
		t.Errorf("status %+v %v", st, err)
	}
}

// Purges queued together merge while they fit in one request; tags and
// URLs go in requests of their own; everything swallows the rest; soft
// and hard purges stay apart.
func TestOutboxMerges(t *testing.T) {
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 3})
	if err != nil {
		t.Fatal(err)
	}
	add := func(p cachepurge.Purge) {
		t.Helper()
		if _, err := o.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	add(cachepurge.Purge{Tags: []string{"a", "b"}})
	add(cachepurge.Purge{Tags: []string{"b", "c"}, URLs: []string{"/x"}})
	add(cachepurge.Purge{Tags: []string{"d"}})             // a, b, c are 3: a new one
	add(cachepurge.Purge{Tags: []string{"e"}, Soft: true}) // soft: apart
	st, err := o.Status()
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, p := range st.Pending {
		got = append(got, append(slices.Clone(p.Tags), fmt.Sprint(p.Soft)))
	}
	want := [][]string{{"a", "b", "c", "false"}, {"false"}, {"d", "false"}, {"e", "true"}}
	if fmt.Sprint(got) != fmt.Sprint(want) || !slices.Equal(st.Pending[1].URLs, []string{"/x"}) {
		t.Errorf("pending %v, want %v", got, want)
	}
	add(cachepurge.Purge{Everything: true})
	st, _ = o.Status()
	if !st.Pending[0].Everything || st.Pending[0].Tags != nil {
		t.Errorf("everything did not swallow the first: %+v", st.Pending[0])
	}
}

// A failing target keeps the purge, and the ones after it, pending: the
// next try waits as Retry-After says, or backs off; then all go, in order.
func TestOutboxRetries(t *testing.T) {
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"first", "second"} {
		if _, err := o.Add(cachepurge.Purge{Tags: []string{tag}}); err != nil {
			t.Fatal(err)
		}
	}
	r := &recorder{fail: &cachepurge.RetryAfter{Wait: time.Hour, Err: errors.New("429")}}
	if n, err := o.Flush(context.Background(), r); n != 0 || err == nil {
		t.Fatalf("flush against a busy target: %d sent, %v", n, err)
	}
	st, _ := o.Status()
	if len(st.Pending) != 2 || st.Pending[0].Attempts != 1 || st.Pending[0].LastError == "" || time.Until(st.Pending[0].NextTry) < 59*time.Minute {
		t.Fatalf("pending after a 429: %+v", st.Pending)
	}
	r.fail = nil
	if n, _ := o.Flush(context.Background(), r); n != 0 {
		t.Errorf("sent %d before the target's Retry-After", n)
	}
}

// The edge purger purges a real edge cache: by tag, and not without the
// token (which the outbox keeps pending).
func TestEdgePurger(t *testing.T) {
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Cache-Tag", "e:posts/a")
		io.WriteString(w, "answer")
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	px := cache.NewProxy(u, cache.NewStore(1<<20))
	px.SetPurgeToken("tok")
	edgeSrv := httptest.NewServer(px)
	defer edgeSrv.Close()
	get := func() {
		resp, err := http.Get(edgeSrv.URL + "/api/a")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	get()
	if hits.Load() != 1 {
		t.Fatalf("%d origin hits before the purge, want 1", hits.Load())
	}
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Add(cachepurge.Purge{Tags: []string{"e:posts/a"}}); err != nil {
		t.Fatal(err)
	}
	wrong := &cachepurge.EdgePurger{Edges: []string{edgeSrv.URL}, Token: "nope"}
	if n, err := o.Flush(context.Background(), wrong); n != 0 || err == nil {
		t.Errorf("flush with a wrong token: %d sent, %v", n, err)
	}
	st, _ := o.Status()
	if len(st.Pending) != 1 {
		t.Fatalf("the refused purge was dropped: %+v", st)
	}
	// The operator fixes the token; the purge goes after its back-off.
	right := &cachepurge.EdgePurger{Edges: []string{edgeSrv.URL}, Token: "tok"}
	if err := retryUntilSent(o, right); err != nil {
		t.Fatal(err)
	}
	get()
	if hits.Load() != 2 {
		t.Errorf("%d origin hits after the purge, want 2", hits.Load())
	}
}

// retryUntilSent flushes until the outbox is empty; the first back-off is
// two seconds.
func retryUntilSent(o *cachepurge.Outbox, p cachepurge.Purger) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _ = o.Flush(context.Background(), p) // errors: try again until the deadline
		if st, err := o.Status(); err == nil && len(st.Pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("still pending")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A purge larger than one request is queued as several, each within the
// target's limits, so a rate limit or a failure holds back one request's
// worth, never restarts the whole; a purge the target refuses for good
// moves to the failed list instead of holding back the ones after it.
func TestOutboxSplitsAndSetsAsideRefusals(t *testing.T) {
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 2, URLsPerRequest: 3})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := o.Add(cachepurge.Purge{Tags: []string{"a", "b", "c"}, URLs: []string{"/1", "/2", "/3", "/4"}})
	if err != nil || len(queued) != 4 {
		t.Fatalf("queued as %v (%v), want 4 requests", queued, err)
	}
	st, _ := o.Status()
	for i, q := range queued {
		if q.ID == "" || q.Queued.IsZero() || q.ID != st.Pending[i].ID || !q.Queued.Equal(st.Pending[i].Queued) {
			t.Errorf("Add said piece %d is %s, queued %s; the outbox holds %s, queued %s", i, q.ID, q.Queued, st.Pending[i].ID, st.Pending[i].Queued)
		}
	}
	if _, err := o.Add(cachepurge.Purge{URLs: []string{"not a url"}}); err == nil {
		t.Error("queued a URL that is not one")
	}
	r := &recorder{}
	bad := &refuser{recorder: r, refuse: "c"}
	n, err := o.Flush(context.Background(), bad)
	var refused *cachepurge.Refused
	if n != 3 || !errors.As(err, &refused) {
		t.Errorf("flush: %d sent, %v; want 3 and the refused one set aside, and said", n, err)
	}
	st, _ = o.Status()
	if len(st.Pending) != 0 || len(st.Failed) != 1 || !slices.Equal(st.Failed[0].Tags, []string{"c"}) {
		t.Errorf("status: pending %+v, failed %+v", st.Pending, st.Failed)
	}
}

// refuser refuses for good any purge with the tag refuse, and takes the
// rest.
type refuser struct {
	*recorder
	refuse string
}

func (r *refuser) Purge(ctx context.Context, p cachepurge.Purge) error {
	if slices.Contains(p.Tags, r.refuse) {
		return &cachepurge.Permanent{Err: errors.New("400: bad tag")}
	}
	return r.recorder.Purge(ctx, p)
}
