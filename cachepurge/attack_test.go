package cachepurge_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/cffake"
)

// Issue 12, item 12: purges whose answers are lost (done, then answered
// 500) at 60%. The outbox keeps each until an answer says it is done,
// and sends it again: Cloudflare purges twice, which is harmless, and
// nothing is lost or refused for good.
func TestAttackLostPurgeAnswers(t *testing.T) {
	fake, p := newFakePurger(t, cffake.Options{Seed: 3})
	fake.SetRate(cffake.OpPurge, cffake.FaultRate{Lose: 0.6, LoseStatus: http.StatusInternalServerError})
	o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 100})
	if err != nil {
		t.Fatal(err)
	}
	tags := [][]string{{"e:posts/a"}, {"e:posts/b", "m:posts/b"}, {"e:posts/c"}}
	for _, tg := range tags {
		if _, err := o.Add(cachepurge.Purge{Tags: tg}); err != nil {
			t.Fatal(err)
		}
		// Apart, so they are not merged into one request.
		if _, err := o.Flush(context.Background(), p); err != nil {
			if err := o.RetryNow(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 20 {
		st, _ := o.Status()
		if len(st.Pending) == 0 {
			break
		}
		o.RetryNow() // what verge purge does: send what backs off now
		o.Flush(context.Background(), p)
	}
	st, _ := o.Status()
	if len(st.Pending) != 0 || len(st.Failed) != 0 || len(st.Sent) != len(tags) {
		t.Fatalf("after lost answers: %d pending, %d failed, %d sent, want all %d sent", len(st.Pending), len(st.Failed), len(st.Sent), len(tags))
	}
	got := fake.Purges()
	if fake.Injected(cffake.OpPurge) == 0 || len(got) <= len(tags) {
		t.Errorf("%d purges taken, %d answers lost: no purge was sent twice, the test proves nothing", len(got), fake.Injected(cffake.OpPurge))
	}
	for _, tg := range tags {
		if !slices.ContainsFunc(got, func(q cffake.Purge) bool { return slices.Equal(q.Tags, tg) }) {
			t.Errorf("Cloudflare never purged %v", tg)
		}
	}
}
