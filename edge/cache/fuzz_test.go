package cache

import (
	"net/http"
	"testing"
	"time"
)

// Malformed cache headers from an origin are read as the RFCs say
// (ignored, or stale), never a crash. `go test` runs the seeds; `go test
// -fuzz FuzzHeaders ./edge/cache` explores.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"max-age=60", `max-age="60"`, "max-age=-1, s-maxage", `private="a, b`, `no-cache="`, "max-age=99999999999999999999999",
		"a=?1;b=2, c", `d="x\"y"`, "=,;", "*", "max-age=1.5;q", "?0", `x="`, ";;;", "max-age=60;", "\x00\xff"} {
		f.Add(s, s, "1")
	}
	f.Fuzz(func(t *testing.T, cc, cdn, age string) {
		h := http.Header{"Cache-Control": {cc}, "Cdn-Cache-Control": {cdn}, "Age": {age}, "Expires": {cc}, "Vary": {cdn}}
		now := time.Now()
		_ = freshnessLifetime(200, h, now)
		_ = currentAge(h, now, now, now)
		_, _ = Storable("GET", http.Header{"Cache-Control": {cdn}}, 200, h, now)
		_ = varyValues(h, h)
		_ = tagsOf(http.Header{"Cache-Tag": {cc}, "Surrogate-Key": {cdn}})
	})
}
