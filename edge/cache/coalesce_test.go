package cache

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Requests that waited for one fetch share its answer only when it is
// theirs to share: not a private one, and not another Vary variant than
// they asked for. Each then gets its own answer from the origin.
func TestProxyCoalescedOnlyWhatIsShareable(t *testing.T) {
	tests := []struct {
		name, field string
		header      []string // the origin's fields
	}{
		{"private", "X-User", []string{"Cache-Control", "private, max-age=60"}},
		{"no-store", "X-User", []string{"Cache-Control", "no-store"}},
		{"another variant", "Accept-Language", []string{"Cache-Control", "max-age=60", "Vary", "Accept-Language"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, p, base := setup(t)
			o.set(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(100 * time.Millisecond) // long enough for all to queue
				respond(200, "for "+r.Header.Get(tc.field), tc.header...)(w, r)
			})
			var wg sync.WaitGroup
			for _, who := range []string{"a", "b", "c", "d"} {
				wg.Go(func() {
					req, _ := http.NewRequest("GET", base+"/shared", nil)
					req.Header.Set(tc.field, who)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					if b, _ := io.ReadAll(resp.Body); string(b) != "for "+who {
						t.Errorf("%s got %q", who, b)
					}
				})
			}
			wg.Wait()
			if tc.name != "another variant" {
				// Later requests for the key go straight to the origin
				// for a while rather than queue behind one another.
				p.mu.Lock()
				_, passing := p.pass["GET /shared"]
				p.mu.Unlock()
				if !passing {
					t.Error("the key is not remembered as uncacheable")
				}
			}
		})
	}
}
