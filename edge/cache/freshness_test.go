package cache

import (
	"net/http"
	"testing"
	"time"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

var (
	now  = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	date = now.Format(http.TimeFormat)
)

func TestFreshnessLifetime(t *testing.T) {
	hour := now.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name     string
		status   int
		h        http.Header
		want     time.Duration
		explicit bool
		source   string
	}{
		{"max-age", 200, header("Cache-Control", "max-age=60"), 60 * time.Second, true, "Cache-Control"},
		{"s-maxage first", 200, header("Cache-Control", "max-age=60, s-maxage=600"), 600 * time.Second, true, "Cache-Control"},
		{"names are case-insensitive", 200, header("Cache-Control", "Max-Age=60"), 60 * time.Second, true, "Cache-Control"},
		{"quoted max-age is stale", 200, header("Cache-Control", `max-age="60"`), 0, true, "Cache-Control"},
		{"negative max-age is stale", 200, header("Cache-Control", "max-age=-1"), 0, true, "Cache-Control"},
		{"decimal max-age is stale", 200, header("Cache-Control", "max-age=1.5"), 0, true, "Cache-Control"},
		{"max-age without a value is stale", 200, header("Cache-Control", "max-age"), 0, true, "Cache-Control"},
		{"overflow saturates", 200, header("Cache-Control", "max-age=99999999999999999999"), (1 << 31) * time.Second, true, "Cache-Control"},
		{"first duplicate wins", 200, header("Cache-Control", "max-age=60", "Cache-Control", "max-age=3600"), 60 * time.Second, true, "Cache-Control"},
		{"max-age beats Expires", 200, header("Cache-Control", "max-age=60", "Expires", hour, "Date", date), 60 * time.Second, true, "Cache-Control"},
		{"Expires minus Date", 200, header("Expires", hour, "Date", date), time.Hour, true, "Expires"},
		{"invalid Expires is expired", 200, header("Expires", "0", "Date", date), 0, true, "Expires"},
		{"Expires in the past", 200, header("Expires", now.Add(-time.Hour).Format(http.TimeFormat), "Date", date), 0, true, "Expires"},
		{"heuristic", 200, header("Last-Modified", now.Add(-100*time.Hour).Format(http.TimeFormat), "Date", date), 10 * time.Hour, false, "heuristic"},
		{"heuristic is capped", 200, header("Last-Modified", now.Add(-1000*24*time.Hour).Format(http.TimeFormat), "Date", date), 24 * time.Hour, false, "heuristic"},
		{"no heuristic for 302", 302, header("Last-Modified", now.Add(-100*time.Hour).Format(http.TimeFormat), "Date", date), 0, false, ""},
		{"nothing: no default", 200, header("Date", date), 0, false, ""},
		{"CDN-Cache-Control wins", 200, header("Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age=3600"), time.Hour, true, "CDN-Cache-Control"},
		{"Verge's own field first", 200, header("CDN-Cache-Control", "max-age=3600", "Verge-CDN-Cache-Control", "max-age=7"), 7 * time.Second, true, "Verge-CDN-Cache-Control"},
		{"targeted replaces Expires", 200, header("CDN-Cache-Control", "no-store", "Expires", hour, "Date", date), 0, false, ""},
		{"unparseable targeted is absent", 200, header("CDN-Cache-Control", "Max-Age=3600", "Cache-Control", "max-age=60"), 60 * time.Second, true, "Cache-Control"},
		{"empty targeted is absent", 200, header("CDN-Cache-Control", "", "Cache-Control", "max-age=60"), 60 * time.Second, true, "Cache-Control"},
		{"targeted s-maxage", 200, header("CDN-Cache-Control", "max-age=10, s-maxage=20"), 20 * time.Second, true, "CDN-Cache-Control"},
		{"targeted decimal is stale", 200, header("CDN-Cache-Control", "max-age=1.5"), 0, true, "CDN-Cache-Control"},
		{"targeted with parameters", 200, header("CDN-Cache-Control", "max-age=30;x=1, stale-while-revalidate=5"), 30 * time.Second, true, "CDN-Cache-Control"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := freshnessLifetime(tc.status, tc.h, now)
			if got.Fresh != tc.want || got.Explicit != tc.explicit || got.Source != tc.source {
				t.Errorf("got %+v, want %s explicit=%v from %q", got, tc.want, tc.explicit, tc.source)
			}
		})
	}
}

func TestCurrentAge(t *testing.T) {
	req, resp := now.Add(-2*time.Second), now
	tests := []struct {
		name string
		h    http.Header
		at   time.Time
		want time.Duration
	}{
		{"fresh from the origin", header("Date", date), now, 2 * time.Second},
		{"Age counts", header("Date", date, "Age", "100"), now, 102 * time.Second},
		{"time resident", header("Date", date), now.Add(10 * time.Second), 12 * time.Second},
		{"apparent age from Date", header("Date", now.Add(-60*time.Second).Format(http.TimeFormat)), now, 60 * time.Second},
		{"negative Age ignored", header("Date", date, "Age", "-5"), now, 2 * time.Second},
		{"decimal Age ignored", header("Date", date, "Age", "1.5"), now, 2 * time.Second},
		{"non-numeric Age ignored", header("Date", date, "Age", "soon"), now, 2 * time.Second},
		{"first Age counts", header("Date", date, "Age", "30", "Age", "90"), now, 32 * time.Second},
		{"Age list, first counts", header("Date", date, "Age", "30, 90"), now, 32 * time.Second},
	}
	for _, tc := range tests {
		if got := currentAge(tc.h, req, resp, tc.at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Only well-formed HTTP-dates are dates; Expires given twice is invalid.
// Either way an invalid Expires means the response is already stale.
func TestExpiresParsing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	for _, tc := range []struct {
		expires []string
		fresh   bool
	}{
		{[]string{"Thu, 18 Aug 2050 02:01:18 GMT"}, true},
		{[]string{"Thursday, 18-Aug-50 02:01:18 GMT"}, true},
		{[]string{"Thu Aug 18 02:01:18 2050"}, true},
		{[]string{"Thu Aug  4 02:01:18 2050"}, true},
		{[]string{"0"}, false},
		{[]string{"Thu, 18 Aug 2050 02:01:18 UTC"}, false},
		{[]string{"Thu, 18 Aug 2050 02:01:18 AEST"}, false},
		{[]string{"Thu, 18 Aug 50 02:01:18 GMT"}, false},
		{[]string{"Thu 18 Aug 2050 02:01:18 GMT"}, false},
		{[]string{"Thu, 18  Aug  2050 02:01:18 GMT"}, false},
		{[]string{"Thu, 18-Aug-2050 02:01:18 GMT"}, false},
		{[]string{"Thu, 18 Aug 2050 02.01.18 GMT"}, false},
		{[]string{"Thu, 18 Aug 2050 2:01:18 GMT"}, false},
		{[]string{"thu, 18 aug 2050 02:01:18 gmt"}, false},
		{[]string{"Thu, 18 Aug 2050 02:01:18 GMT", "Thu, 18 Aug 2050 02:01:19 GMT"}, false},
	} {
		h := http.Header{"Date": {date}, "Expires": tc.expires}
		l := freshnessLifetime(200, h, now)
		if fresh := l.Fresh > 0; fresh != tc.fresh || !l.Explicit {
			t.Errorf("Expires %q: fresh %v (explicit %v), want %v", tc.expires, fresh, l.Explicit, tc.fresh)
		}
	}
}
