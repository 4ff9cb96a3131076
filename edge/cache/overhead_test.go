package cache

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The overhead the store charges an entry is at least what the entry
// takes in memory besides its body: fields, key, the structures that
// index it and the fast path's pre-formatted head.
func TestStoreOverheadCounted(t *testing.T) {
	const n = 20000
	s := NewStore(1 << 40)
	before := heapInuse()
	for i := range n {
		h := http.Header{}
		h.Set("Cache-Control", "max-age=600")
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Tag", fmt.Sprintf("page,n=%d", i))
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		h.Set("Content-Length", "12")
		h.Set("Vary", "Accept-Encoding")
		e := &Entry{Key: fmt.Sprintf("GET /p?n=%d", i), Status: 200, Header: h, Body: []byte("<p>small</p>"),
			RequestTime: now, ResponseTime: now, Tags: tagsOf(h)}
		if !s.Put(e, http.Header{"Accept-Encoding": {"gzip, br"}}) {
			t.Fatal("not stored")
		}
		e.fast()
	}
	took := heapInuse() - before
	t.Logf("%d entries: %d bytes each in memory, %d charged", n, took/n, s.Used()/n)
	if s.Used() < took {
		t.Errorf("the store charges %d bytes for entries that take %d", s.Used(), took)
	}
}
