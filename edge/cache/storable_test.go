package cache

import (
	"net/http"
	"testing"
)

func TestStorable(t *testing.T) {
	tests := []struct {
		name   string
		method string
		req    http.Header
		status int
		resp   http.Header
		want   bool
	}{
		{"fresh GET", "GET", nil, 200, header("Cache-Control", "max-age=60"), true},
		{"POST", "POST", nil, 200, header("Cache-Control", "max-age=60"), false},
		{"206", "GET", nil, 206, header("Cache-Control", "max-age=60"), false},
		{"no-store", "GET", nil, 200, header("Cache-Control", "max-age=60, no-store"), false},
		{"request no-store", "GET", header("Cache-Control", "no-store"), 200, header("Cache-Control", "max-age=60"), false},
		{"private", "GET", nil, 200, header("Cache-Control", "private, max-age=60"), false},
		{"qualified private stores", "GET", nil, 200, header("Cache-Control", `private="Set-Cookie", max-age=60`), true},
		{"targeted no-store", "GET", nil, 200, header("CDN-Cache-Control", "no-store", "Cache-Control", "max-age=60"), false},
		{"targeted overrides no-store", "GET", nil, 200, header("CDN-Cache-Control", "max-age=60", "Cache-Control", "no-store"), true},
		{"vary star", "GET", nil, 200, header("Cache-Control", "max-age=60", "Vary", "Accept, *"), false},
		{"authorization", "GET", header("Authorization", "Bearer x"), 200, header("Cache-Control", "max-age=60"), false},
		{"authorization with public", "GET", header("Authorization", "Bearer x"), 200, header("Cache-Control", "public, max-age=60"), true},
		{"authorization with s-maxage", "GET", header("Authorization", "Bearer x"), 200, header("Cache-Control", "s-maxage=60"), true},
		{"heuristic status with a validator", "GET", nil, 200, header("ETag", `"a"`), true},
		{"no lifetime, no validator", "GET", nil, 200, header(), false},
		{"302 without freshness", "GET", nil, 302, header("ETag", `"a"`), false},
		{"302 with max-age", "GET", nil, 302, header("Cache-Control", "max-age=60"), true},
		{"stale but validatable", "GET", nil, 200, header("Cache-Control", "max-age=0", "ETag", `"a"`), true},
	}
	for _, tc := range tests {
		req := tc.req
		if req == nil {
			req = http.Header{}
		}
		if got, why := Storable(tc.method, req, tc.status, tc.resp, now); got != tc.want {
			t.Errorf("%s: storable %v (%s), want %v", tc.name, got, why, tc.want)
		}
	}
}

func TestHopByHop(t *testing.T) {
	conn := []string{"X-Trace"}
	for name, want := range map[string]bool{"Connection": true, "keep-alive": true, "Transfer-Encoding": true, "x-trace": true, "Set-Cookie": false, "Cache-Tag": false} {
		if got := isHopByHop(name, conn); got != want {
			t.Errorf("isHopByHop(%q) = %v, want %v", name, got, want)
		}
	}
}
