package httpcache

import (
	"net/http"
	"testing"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestParseCacheControl(t *testing.T) {
	d := ParseCacheControl(header("Cache-Control", `public, no-cache="Set-Cookie, X-Foo", private, stale-while-revalidate=30`, "Cache-Control", "STALE-IF-ERROR=60, immutable, no-store"))
	if !d.Public || d.NoCache || len(d.NoCacheFields) != 2 || d.NoCacheFields[1] != "X-Foo" || !d.Private || !d.Immutable || !d.NoStore {
		t.Errorf("%+v", d)
	}
	if d.StaleWhileRevalidate.Value != 30 || d.StaleIfError.Value != 60 {
		t.Errorf("stale directives: %+v %+v", d.StaleWhileRevalidate, d.StaleIfError)
	}
	if r := ParseCacheControl(header("Cache-Control", "max-stale, only-if-cached")); !r.MaxStaleAny || !r.OnlyIfCached {
		t.Errorf("request directives: %+v", r)
	}
}
