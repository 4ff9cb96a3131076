package cache

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func entry(key string, fetched time.Time, tags ...string) *Entry {
	return &Entry{Key: key, Status: 200, Header: header("Cache-Control", "max-age=60"), Body: []byte("body of " + key),
		RequestTime: fetched, ResponseTime: fetched.Add(time.Millisecond), Tags: tags}
}

func TestStorePurges(t *testing.T) {
	t0 := now
	tests := []struct {
		name  string
		purge func(s *Store)
		want  map[string]Purge // key -> state; absent from the map: not found
	}{
		{"nothing", func(s *Store) {}, map[string]Purge{"/a": NotPurged, "/b": NotPurged, "/c/1": NotPurged}},
		{"hard tag", func(s *Store) { s.PurgeTags([]string{"x"}, false, t0.Add(time.Second)) }, map[string]Purge{"/b": NotPurged, "/c/1": NotPurged}},
		{"soft tag", func(s *Store) { s.PurgeTags([]string{"x"}, true, t0.Add(time.Second)) }, map[string]Purge{"/a": SoftPurged, "/b": NotPurged, "/c/1": NotPurged}},
		{"tag purged before the fetch", func(s *Store) { s.PurgeTags([]string{"x"}, false, t0.Add(-time.Second)) }, map[string]Purge{"/a": NotPurged, "/b": NotPurged, "/c/1": NotPurged}},
		{"purge during the fetch", func(s *Store) { s.PurgeTags([]string{"y"}, false, t0) }, map[string]Purge{"/a": NotPurged, "/c/1": NotPurged}},
		{"all, hard", func(s *Store) { s.PurgeAll(false, t0.Add(time.Second)) }, map[string]Purge{}},
		{"all, soft", func(s *Store) { s.PurgeAll(true, t0.Add(time.Second)) }, map[string]Purge{"/a": SoftPurged, "/b": SoftPurged, "/c/1": SoftPurged}},
		{"url", func(s *Store) { s.PurgeKeys([]string{"/a"}, nil, false) }, map[string]Purge{"/b": NotPurged, "/c/1": NotPurged}},
		{"prefix, soft", func(s *Store) { s.PurgeKeys(nil, []string{"/c/"}, true) }, map[string]Purge{"/a": NotPurged, "/b": NotPurged, "/c/1": SoftPurged}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewStore(1 << 20)
			s.Put(entry("/a", t0, "x"), http.Header{})
			s.Put(entry("/b", t0, "y"), http.Header{})
			s.Put(entry("/c/1", t0.Add(time.Second), "z"), http.Header{})
			tc.purge(s)
			for _, k := range []string{"/a", "/b", "/c/1"} {
				e, p := s.Get(k, http.Header{})
				want, found := tc.want[k]
				if (e != nil) != found || (found && p != want) {
					t.Errorf("%s: found %v state %v, want found %v state %v", k, e != nil, p, found, want)
				}
			}
		})
	}
}

func TestStoreVary(t *testing.T) {
	s := NewStore(1 << 20)
	put := func(lang, body string) {
		e := entry("/p", now)
		e.Header.Set("Vary", "Accept-Language")
		e.Body = []byte(body)
		s.Put(e, header("Accept-Language", lang))
	}
	put("en", "english")
	put("fr", "french")
	put("en", "english again") // replaces its variant
	get := func(lang string) string {
		e, _ := s.Get("/p", header("Accept-Language", lang))
		if e == nil {
			return ""
		}
		return string(e.Body)
	}
	if get("en") != "english again" || get("fr") != "french" || get("de") != "" {
		t.Errorf("variants: en %q fr %q de %q", get("en"), get("fr"), get("de"))
	}
	// Whitespace around commas does not make another variant.
	e := entry("/q", now)
	e.Header.Set("Vary", "Accept-Encoding")
	s.Put(e, header("Accept-Encoding", "gzip,br"))
	if got, _ := s.Get("/q", header("Accept-Encoding", "gzip, br")); got == nil {
		t.Error("gzip,br and gzip, br are the same value")
	}
}

func TestStoreBudget(t *testing.T) {
	s := NewStore(64 << 10)
	put := func(i int) {
		e := entry(fmt.Sprintf("/%d", i), now)
		e.Body = []byte(strings.Repeat("x", 4<<10))
		s.Put(e, http.Header{})
	}
	for i := range 100 {
		put(i)
	}
	if s.Used() > 64<<10 {
		t.Errorf("used %d, budget %d", s.Used(), 64<<10)
	}
	has := func(i int) bool { e, _ := s.Get(fmt.Sprintf("/%d", i), http.Header{}); return e != nil }
	oldest := 0
	for !has(oldest) {
		oldest++
	}
	if oldest == 0 || !has(99) {
		t.Fatalf("kept from %d, and the newest: %v", oldest, has(99))
	}
	// has(oldest) just used it: the next eviction takes the one after.
	put(100)
	if !has(oldest) || has(oldest+1) {
		t.Errorf("after one more entry: %d kept %v (used last), %d kept %v", oldest, has(oldest), oldest+1, has(oldest+1))
	}
	big := entry("/big", now)
	big.Body = make([]byte, 16<<10)
	if s.Put(big, http.Header{}) {
		t.Error("an entry over an eighth of the budget was stored")
	}
}
