package cache

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/vergehq/verge/internal/fuzzmut"
)

// Differential fuzz targets for the cache's hand-written field parsers.
// Each compares against a reference: net/http where it has one
// (http.ParseTime), otherwise a small parser written straight from the
// RFC's grammar in this file, plainly, without the production parser's
// shortcuts. `go test` runs the seeds and a fixed stream of mutations
// (TestXMutated); `go test -fuzz FuzzX ./edge/cache` explores.

var httpDateSeeds = []string{
	"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
	"Sun Nov 16 08:49:37 1994", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT",
	"Thu, 01 Jan 1970 00:00:00 GMT", "0", "-1", "Mon, 31 Feb 2000 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
}

// httpDateAgrees checks parseHTTPDate against http.ParseTime, which
// reads the same three forms. parseHTTPDate is deliberately stricter:
// it takes a date only in its exact canonical form (time.Parse lets
// through one-digit fields and runs of spaces, and a malformed Expires
// read as a date would keep fresh what the origin meant as expired, RFC
// 9111 section 5.3). So: where it accepts, ParseTime accepts and names
// the same instant; where ParseTime accepts and it does not, the input
// is not what formatting that instant in its form gives back.
func httpDateAgrees(s string) string {
	got, ok := parseHTTPDate(s)
	want, err := http.ParseTime(s)
	switch {
	case ok && err != nil:
		return fmt.Sprintf("accepted as %v, net/http rejects: %v", got, err)
	case ok && !got.Equal(want):
		return fmt.Sprintf("read as %v, net/http %v", got, want)
	case !ok && err == nil:
		for _, layout := range httpDateLayouts {
			if want.Format(layout) == s {
				return fmt.Sprintf("rejected, but it is the canonical %q form of %v", layout, want)
			}
		}
	}
	return ""
}

// FuzzHTTPDate checks parseHTTPDate against net/http's ParseTime.
func FuzzHTTPDate(f *testing.F) { fuzzmut.Target(f, httpDateSeeds, httpDateAgrees) }

func TestHTTPDateMutated(t *testing.T) {
	fuzzmut.Stream(t, 200000, "FuzzHTTPDate", httpDateSeeds, httpDateAgrees)
}
