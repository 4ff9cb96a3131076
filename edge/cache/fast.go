package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vergehq/verge/edge/front"
	"github.com/vergehq/verge/internal/httpcache"
	"github.com/vergehq/verge/internal/purgeapi"
)

// Respond answers, for the front end, a plain GET or HEAD that a fresh
// stored response answers, exactly as ServeHTTP would: same status,
// fields and body. Anything else (a request with its own cache
// directives, credentials, a range or a precondition other than
// If-None-Match; a miss, a stale or purged entry) it declines, for
// ServeHTTP.
func (p *Proxy) Respond(w *front.Writer, r *front.Request) bool {
	if r.Path == purgeapi.Path || hasDotSegment(r.Path) {
		return false
	}
	for _, name := range []string{"Cache-Control", "Pragma", "Authorization", "Range", "If-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"} {
		if r.Has(name) {
			return false
		}
	}
	e, purge := p.store.Get(key(r.RequestURI()), r)
	if e == nil || purge != NotPurged {
		return false
	}
	fe := e.fast()
	if fe == nil || fe.varyForwarded {
		return false
	}
	age := fe.initialAge + p.now().Sub(e.ResponseTime)
	if age >= fe.fresh {
		return false // stale: ServeHTTP revalidates, or serves it stale
	}
	notModified := false
	if inm, ok := r.Header("If-None-Match"); ok {
		notModified = MatchesETag(string(inm), fe.etag)
	}
	if notModified {
		w.StatusLine(http.StatusNotModified)
		w.Raw(fe.head304)
	} else {
		w.StatusLine(e.Status)
		w.Raw(fe.head)
	}
	w.Header("Age", strconv.Itoa(int(age/time.Second)))
	w.Header("Cache-Status", "verge; hit; ttl="+strconv.Itoa(int((fe.fresh-age)/time.Second)))
	if fe.hasDate {
		w.SkipDate()
	}
	if notModified {
		w.EndHeaders()
		return true
	}
	w.ContentLength(len(e.Body))
	if r.HeadOnly() {
		w.EndHeaders()
		return true
	}
	unpin := p.store.pin(e) // a slow client keeps the body charged, evicted or not
	w.Body(e.Body)
	unpin()
	return true
}

// fastEntry is what Respond needs of an entry, worked out once: its
// header is fixed once stored.
type fastEntry struct {
	fresh      time.Duration // freshness lifetime; 0 when no-cache governs it
	initialAge time.Duration // its age when it arrived (RFC 9111 4.2.3)
	etag       string
	hasDate    bool
	// varyForwarded: the entry varies on a field the proxy sets or
	// filters when forwarding (X-Forwarded-*): what the client sent is
	// not what to match, so ServeHTTP, which knows, answers.
	varyForwarded bool
	head          []byte // the stored fields a hit sends, tags and Content-Length left out
	head304       []byte // those a 304 keeps
}

// fast returns e's fastEntry, or nil when Respond should leave e to
// ServeHTTP: a status without a body.
func (e *Entry) fast() *fastEntry {
	if fe := e.fastCache.Load(); fe != nil {
		return fe.entry
	}
	var fe *fastEntry
	if e.Status >= 200 && e.Status != http.StatusNoContent && e.Status != http.StatusNotModified {
		fe = e.makeFast()
	}
	e.fastCache.Store(&fastResult{fe})
	return fe
}

type fastResult struct{ entry *fastEntry }

func (e *Entry) makeFast() *fastEntry {
	h := http.Header{}
	copyHeaders(h, e.Header)
	stripTags(h)
	h.Del("Content-Length")
	h.Del("Age")
	h.Del("Cache-Status")
	fe := &fastEntry{
		initialAge: currentAge(e.Header, e.RequestTime, e.ResponseTime, e.ResponseTime),
		etag:       e.Header.Get("ETag"),
		hasDate:    len(h["Date"]) > 0,
	}
	for _, v := range e.Header.Values("Vary") {
		for _, f := range httpcache.SplitList(v) {
			if c := http.CanonicalHeaderKey(f); strings.HasPrefix(c, "X-Forwarded-") || c == "Forwarded" {
				fe.varyForwarded = true
			}
		}
	}
	if cc := directivesOf(e.Header); !cc.NoCache {
		fe.fresh = freshnessLifetime(e.Status, e.Header, e.ResponseTime).Fresh
	}
	var b strings.Builder
	_ = h.Write(&b)
	fe.head = []byte(b.String())
	for k := range h {
		switch k {
		case "Etag", "Cache-Control", "Date", "Expires", "Vary", "Cdn-Cache-Control", "Content-Location":
		default:
			delete(h, k)
		}
	}
	b.Reset()
	_ = h.Write(&b)
	fe.head304 = []byte(b.String())
	return fe
}

// directivesOf are the directives that govern a response at this cache:
// the targeted field when valid, else Cache-Control.
func directivesOf(h http.Header) Directives {
	if d, _, ok := Targeted(h); ok {
		return d
	}
	return httpcache.ParseCacheControl(h)
}
