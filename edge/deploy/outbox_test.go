package deploy

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/cachepurge"
)

func TestWithinRate(t *testing.T) {
	batches := func(n int) [][]string {
		out := make([][]string, n)
		for i := range out {
			out[i] = []string{"t"}
		}
		return out
	}
	for _, c := range []struct {
		name    string
		lim     cachepurge.Limits
		pending int
		plan    *cachepurge.Plan
		wait    time.Duration
		need    int
		allowed float64
		ok      bool
	}{
		{"no rate limit", cachepurge.Limits{}, 0, &cachepurge.Plan{Batches: batches(500)}, 0, 500, 500, true},
		{"within the burst", cachepurge.Limits{Rate: cachepurge.Rate{PerMinute: 5, Burst: 25}}, 0, &cachepurge.Plan{Batches: batches(25)}, 0, 25, 25, true},
		{"past the burst, waited for", cachepurge.Limits{Rate: cachepurge.Rate{PerMinute: 5, Burst: 25}}, 0, &cachepurge.Plan{Batches: batches(30)}, time.Minute, 30, 30, true},
		{"past the burst and the wait", cachepurge.Limits{Rate: cachepurge.Rate{PerMinute: 5, Burst: 25}}, 0, &cachepurge.Plan{Batches: batches(31)}, time.Minute, 31, 30, false},
		{"URLs by request", cachepurge.Limits{URLsPerRequest: 30, Rate: cachepurge.Rate{PerMinute: 5, Burst: 2}}, 0,
			&cachepurge.Plan{Batches: batches(1), Files: make([]string, 31)}, 0, 3, 2, false},
		{"what is pending counts", cachepurge.Limits{Rate: cachepurge.Rate{PerMinute: 5, Burst: 3}}, 1, &cachepurge.Plan{Batches: batches(3)}, 0, 4, 3, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := cachepurge.OpenOutbox(t.TempDir(), c.lim)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.pending {
				if _, err := o.Add(cachepurge.Purge{URLs: []string{"/p" + string(rune('a'+i))}}); err != nil {
					t.Fatal(err)
				}
			}
			need, allowed, ok := withinRate(o, c.plan, c.wait)
			if need != c.need || allowed != c.allowed || ok != c.ok {
				t.Errorf("withinRate = %d, %g, %v; want %d, %g, %v", need, allowed, ok, c.need, c.allowed, c.ok)
			}
		})
	}
}

// A plan goes out as its batches; one the rate limit would hold past the
// wait goes as one purge of everything, with a note saying why.
func TestQueuePlan(t *testing.T) {
	plan := &cachepurge.Plan{Batches: [][]string{{"a", "b"}, {"c"}}, Files: []string{"/x/"}}
	for _, c := range []struct {
		name       string
		rate       cachepurge.Rate
		wantTags   []string
		everything bool
		note       string
	}{
		{"within the limit", cachepurge.Rate{}, []string{"a", "b", "c"}, false, ""},
		{"past the limit", cachepurge.Rate{PerMinute: 1, Burst: 1}, nil, true, "purge at edges: its rate limit (1 a minute, bursts of 1) would hold 2 of the 3 requests due past --purge-wait 0s; purging everything instead (1 request)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := cachepurge.OpenOutbox(t.TempDir(), cachepurge.Limits{TagsPerRequest: 100, Rate: c.rate})
			if err != nil {
				t.Fatal(err)
			}
			edge := newEdge(t, "tok")
			targets := []PurgeTarget{{"edges", o, &cachepurge.EdgePurger{Edges: []string{edge.URL}, Token: "tok"}}}
			notes, err := queuePlan(targets, plan, 0)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(notes, "\n") != c.note {
				t.Errorf("notes %q, want %q", notes, c.note)
			}
			var out bytes.Buffer
			if Send(context.Background(), &out, targets, time.Second, true) {
				t.Fatalf("left unsent: %s", out.String())
			}
			got := edge.received()
			if c.everything {
				if len(got) != 1 || !got[0].Everything {
					t.Errorf("sent %+v, want one purge of everything", got)
				}
				return
			}
			if tags := edge.tags(); strings.Join(tags, ",") != strings.Join(c.wantTags, ",") {
				t.Errorf("tags sent %v, want %v", tags, c.wantTags)
			}
			if urls := got[len(got)-1].URLs; len(urls) != 1 || urls[0] != "/x/" {
				t.Errorf("sent %+v, want the changed URL last", got)
			}
		})
	}
}

// Send waits out what holds a purge back within the wait, and leaves
// queued what it cannot send.
func TestSend(t *testing.T) {
	for _, c := range []struct {
		name    string
		token   string // the edge's; the purger's is "tok"
		answers []int
		patient bool
		unsent  bool
		says    string
	}{
		{"sent", "tok", nil, false, false, "purged at edges: 1 purges sent"},
		{"429 waited out", "tok", []int{http.StatusTooManyRequests}, false, false, "purged at edges: 1 purges sent"},
		{"failure retried when patient", "tok", []int{http.StatusBadGateway}, true, false, "purged at edges: 1 purges sent"},
		{"failure left queued", "tok", []int{http.StatusBadGateway}, false, true, "purge at edges queued, not sent yet"},
		{"refused token left queued", "other", nil, false, true, "the edge refused the token"},
		{"refused for good", "tok", []int{http.StatusBadRequest}, false, true, "refused for good"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := cachepurge.OpenOutbox(t.TempDir(), edgeLimits)
			if err != nil {
				t.Fatal(err)
			}
			edge := newEdge(t, c.token, c.answers...)
			targets := []PurgeTarget{{"edges", o, &cachepurge.EdgePurger{Edges: []string{edge.URL}, Token: "tok"}}}
			if _, err := Queue(targets, cachepurge.Purge{Tags: []string{"e:posts/a"}}); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			unsent := Send(context.Background(), &out, targets, 5*time.Second, c.patient)
			if unsent != c.unsent || !strings.Contains(out.String(), c.says) {
				t.Errorf("unsent %v, said %q; want %v, saying %q", unsent, out.String(), c.unsent, c.says)
			}
		})
	}
}

func TestPurgeTargets(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   Config
		names []string
		rate  cachepurge.Rate // the Cloudflare outbox's
	}{
		{"none", Config{}, nil, cachepurge.Rate{}},
		{"edges", Config{PurgeEdges: []string{"http://127.0.0.1:1"}}, []string{"edges"}, cachepurge.Rate{}},
		{"both", Config{PurgeEdges: []string{"http://127.0.0.1:1"}, Cloudflare: Cloudflare{ZoneID: "z"}}, []string{"edges", "cloudflare"}, cachepurge.CloudflareRate},
		{"own rate", Config{Cloudflare: Cloudflare{ZoneID: "z", PurgePerMinute: 300, PurgeBurst: 60}}, []string{"cloudflare"}, cachepurge.Rate{PerMinute: 300, Burst: 60}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CLOUDFLARE_API_TOKEN", "test-token")
			s := testSite(t, c.cfg)
			targets, err := s.PurgeTargets()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tg := range targets {
				names = append(names, tg.Name)
				if tg.Name == "cloudflare" {
					if lim := tg.Outbox.Limits(); lim.Rate != c.rate || lim.TagsPerRequest != cachepurge.CloudflareTagsPerRequest {
						t.Errorf("cloudflare limits %+v", lim)
					}
				}
			}
			if strings.Join(names, ",") != strings.Join(c.names, ",") {
				t.Errorf("targets %v, want %v", names, c.names)
			}
		})
	}
}

func TestDescribePurge(t *testing.T) {
	for _, c := range []struct {
		p    cachepurge.Purge
		want string
	}{
		{cachepurge.Purge{Everything: true, Tags: []string{"x"}}, "everything"},
		{cachepurge.Purge{Tags: []string{"a", "b"}}, `{"tags":["a","b"]}`},
		{cachepurge.Purge{URLs: []string{"/x/"}}, `{"urls":["/x/"]}`},
	} {
		if got := DescribePurge(c.p); got != c.want {
			t.Errorf("DescribePurge(%+v) = %s, want %s", c.p, got, c.want)
		}
	}
}
