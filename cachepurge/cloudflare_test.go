package cachepurge_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/cffake"
)

func newFakePurger(t *testing.T, opts cffake.Options) (*cffake.Server, *cachepurge.CloudflarePurger) {
	t.Helper()
	fake := cffake.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	p, err := cachepurge.NewCloudflarePurger("zone", "test-token", srv.URL+"/client/v4/", "https://example.com/")
	if err != nil {
		t.Fatal(err)
	}
	return fake, p
}

// A purge goes out in requests within Cloudflare's limits: 100 tags, 30
// URLs (made absolute on the site's URL) each.
func TestCloudflarePurgerBatches(t *testing.T) {
	fake, p := newFakePurger(t, cffake.Options{})
	var tags, urls []string
	for i := range 250 {
		tags = append(tags, fmt.Sprintf("e:posts/p%d", i))
	}
	for i := range 40 {
		urls = append(urls, fmt.Sprintf("/posts/p%d/", i))
	}
	purge := cachepurge.Purge{Tags: tags, URLs: urls}
	if n := p.Requests(purge); n != 5 {
		t.Errorf("Requests = %d, want 5", n)
	}
	if err := p.Purge(context.Background(), purge); err != nil {
		t.Fatal(err)
	}
	got := fake.Purges()
	if len(got) != 5 || len(got[0].Tags) != 100 || len(got[2].Tags) != 50 || len(got[3].Files) != 30 || got[4].Files[9] != "https://example.com/posts/p39/" {
		t.Errorf("requests: %d, first %d tags, third %d tags, fourth %d files", len(got), len(got[0].Tags), len(got[2].Tags), len(got[3].Files))
	}
	if err := p.Purge(context.Background(), cachepurge.Purge{Everything: true}); err != nil || !fake.Purges()[5].Everything {
		t.Errorf("purge everything: %v", err)
	}
}

// Cloudflare's refusals reach the outbox: a 429 holds the purge back as
// long as Retry-After says; an error in an HTTP 200 (success:false) is an
// error, not a sent purge.
func TestCloudflarePurgerRefusals(t *testing.T) {
	fake, p := newFakePurger(t, cffake.Options{PurgeBurst: 1})
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"a", "b"} {
		if _, err := o.Add(cachepurge.Purge{Tags: []string{tag}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.Flush(context.Background(), p)
	var ra *cachepurge.RetryAfter
	if n != 1 || !errors.As(err, &ra) || ra.Wait != 12*time.Second {
		t.Fatalf("flush past the fake's burst: %d sent, %v", n, err)
	}
	st, _ := o.Status()
	if len(st.Pending) != 1 || time.Until(st.Pending[0].NextTry) < 11*time.Second {
		t.Errorf("pending after the 429: %+v", st.Pending)
	}
	if len(fake.Purges()) != 1 {
		t.Errorf("the fake took %d purges", len(fake.Purges()))
	}

	// A tag Cloudflare refuses in a 200: the outbox never queues one...
	if _, err := o.Add(cachepurge.Purge{Tags: []string{"has space"}}); err == nil {
		t.Error("the outbox queued a tag with a space")
	}
	// ...and the purger reports the envelope's error.
	_, p2 := newFakePurger(t, cffake.Options{})
	err = p2.Purge(context.Background(), cachepurge.Purge{Tags: []string{strings.Repeat("x", 1025)}})
	if err == nil || !strings.Contains(err.Error(), "code 1100") {
		t.Errorf("a 1,025-character tag: %v", err)
	}
}

// The outbox keeps to the target's rate limit across runs: with a burst
// of 3, the fourth and fifth purges wait for tokens instead of meeting a
// 429.
func TestOutboxRateLimit(t *testing.T) {
	fake, p := newFakePurger(t, cffake.Options{})
	dir := t.TempDir()
	lim := cachepurge.Limits{TagsPerRequest: 1, Rate: cachepurge.Rate{PerMinute: 5, Burst: 3}}
	o, err := cachepurge.OpenOutbox(dir, lim)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := o.Add(cachepurge.Purge{Tags: []string{fmt.Sprint("t", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.Flush(context.Background(), p)
	var rl *cachepurge.RateLimited
	if n != 3 || !errors.As(err, &rl) || time.Until(rl.Until) < 10*time.Second {
		t.Fatalf("flush: %d sent, %v; want 3 and a wait of about 12s", n, err)
	}
	// A new run (another verge purge) shares the bucket.
	o2, _ := cachepurge.OpenOutbox(dir, lim)
	if n, _ := o2.Flush(context.Background(), p); n != 0 {
		t.Errorf("a second run sent %d at once", n)
	}
	if got := fake.Count(cffake.OpPurge); got != 3 {
		t.Errorf("the fake saw %d purge requests, want 3", got)
	}
	st, _ := o2.Status()
	if len(st.Pending) != 2 || st.Pending[0].Attempts != 0 {
		t.Errorf("pending: %+v", st.Pending)
	}
}
