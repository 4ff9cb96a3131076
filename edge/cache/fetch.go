package cache

// This file holds the way to the origin: coalescing, fetching and
// revalidating, and what is shared with waiting requests.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"time"
)

// fetched is an origin response: its status and fields, and its body,
// whole or arriving.
type fetched struct {
	status       int
	header       http.Header
	requestTime  time.Time
	responseTime time.Time
	err          error
	// body is the whole body when it is known at once (a 304 freshening
	// a stored response); otherwise tee brings it as it arrives.
	body     []byte
	hold     *hold  // body's charge in store (a stored entry's)
	store    *Store // where the body is charged
	tee      *tee
	storable bool   // the response may be stored, and so shared
	why      string // if not, why not (Storable's reason)
	stored   bool   // it is stored, or will be once whole
	tooLarge bool   // too large to store: streamed through, kept nowhere
}

// answer is a fetched response for one request, with that request's
// reader of the body.
type answer struct {
	*fetched
	body      io.ReadCloser // nil for a failed fetch
	collapsed bool          // another request's fetch (RFC 9211)
}

// release closes the body of an answer nobody will read.
func (a answer) release() {
	if a.body != nil {
		a.body.Close()
	}
}

// open returns a new reader of f's body, or false when it can no longer
// be read from its start.
func (f *fetched) open() (io.ReadCloser, bool) {
	if f.err != nil {
		return nil, true
	}
	if f.tee == nil {
		// Held while it is read: a slow client keeps it charged.
		b := &storedBody{Reader: bytes.NewReader(f.body), data: f.body}
		if len(f.body) >= pinMin && f.store.acquire(f.hold) {
			b.release = func() { f.store.release(f.hold) }
		}
		return b, true
	}
	if r := f.tee.reader(); r != nil {
		return r, true
	}
	return nil, false
}

// flight is one origin fetch that concurrent requests for a key share.
type flight struct {
	ready  chan struct{} // closed once res has its status and fields
	req    http.Header   // the fields of the request that made the fetch
	res    *fetched
	joined int // requests that came to share it; guarded by Proxy.mu
}

// coalesced fetches key from the origin once for every concurrent caller;
// with stale, the fetch is a revalidation of it. Callers that come while
// the body arrives read it as it does, from its start. The response is
// stored when it may be, once whole.
func (p *Proxy) coalesced(r *http.Request, key string, stale *Entry, hints http.ResponseWriter) answer {
	p.mu.Lock()
	if until, ok := p.pass[key]; ok {
		if p.now().Before(until) {
			p.mu.Unlock()
			return p.fetch(r, key, stale, hints, nil)
		}
		p.forgetPass(key)
	}
	if f := p.flights[key]; f != nil {
		f.joined++
		p.mu.Unlock()
		<-f.ready
		if f.res.shared() && sameVary(varyValues(f.res.header, f.req), varyValues(f.res.header, r.Header)) {
			if body, ok := f.res.open(); ok {
				return answer{fetched: f.res, body: body, collapsed: true}
			}
		}
		// Not to be shared (private, say), another variant than this
		// request asks for, or too large to read from its start any
		// more: fetch it for this request alone.
		return p.fetch(r, key, stale, hints, nil)
	}
	f := &flight{ready: make(chan struct{}), req: r.Header}
	p.flights[key] = f
	p.mu.Unlock()
	var once sync.Once
	land := func(res *fetched) { // the body is whole, or the fetch failed
		once.Do(func() {
			p.mu.Lock()
			if p.flights[key] == f {
				delete(p.flights, key)
			}
			if !res.shared() {
				p.rememberPass(key)
			}
			p.mu.Unlock()
		})
	}
	a := p.fetch(r, key, stale, hints, land)
	f.res = a.fetched
	close(f.ready)
	if a.tee == nil {
		land(a.fetched)
	}
	return a
}

// forwardInterim passes the origin's informational responses (103 Early
// Hints, 102) on to the client at w as they come; the final response is
// what the cache stores.
func forwardInterim(w http.ResponseWriter) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
		if code == http.StatusContinue || code == http.StatusSwitchingProtocols {
			return nil
		}
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(code)
		for k := range header {
			delete(h, k) // not the final response's
		}
		return nil
	}}
}

// shared reports whether requests that waited for this fetch may have
// its answer: one the cache may store, or a failure, which they would
// only repeat.
func (f *fetched) shared() bool { return f.err != nil || f.storable }

// rememberPass puts key in p.pass; p.mu is held.
func (p *Proxy) rememberPass(key string) {
	now := p.now()
	if _, ok := p.pass[key]; !ok && (len(p.pass) >= passMax || p.passBytes+len(key) > passMaxBytes) {
		for k, until := range p.pass {
			if !now.Before(until) {
				p.forgetPass(k)
			}
		}
		if len(p.pass) >= passMax || p.passBytes+len(key) > passMaxBytes {
			clear(p.pass) // all recent: forgetting costs a queue, not correctness
			p.passBytes = 0
		}
	}
	if _, ok := p.pass[key]; !ok {
		p.passBytes += len(key)
	}
	p.pass[key] = now.Add(passFor)
}

// forgetPass takes key out of p.pass; p.mu is held.
func (p *Proxy) forgetPass(key string) {
	if _, ok := p.pass[key]; ok {
		delete(p.pass, key)
		p.passBytes -= len(key)
	}
}

// fetch asks the origin (conditionally, when it has a stale entry with
// validators). The answer comes once the origin's status and fields
// have; its body arrives through a tee, filled in the background, and
// the response is stored, if it may be, once whole. landed, if not nil,
// is called with the response once its body has ended.
func (p *Proxy) fetch(r *http.Request, key string, stale *Entry, hints http.ResponseWriter, landed func(*fetched)) answer {
	res := &fetched{requestTime: p.now(), store: p.store}
	// Detached from this client: others may read what it fetches, and a
	// body the cache will store is worth finishing. Not for ever, though:
	// a body that stalls for bodyIdle ends the fetch.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	out, err := http.NewRequestWithContext(ctx, http.MethodGet, p.originURL(r.URL).String(), nil)
	if err != nil {
		cancel()
		res.err = err
		return answer{fetched: res}
	}
	copyHeaders(out.Header, r.Header) // r is outbound: the fields as forwarded
	out.Header.Del("Host")
	out.Header.Del("If-None-Match")
	out.Header.Del("If-Modified-Since")
	out.Header.Del("Range")
	if stale != nil {
		if et := stale.Header.Get("ETag"); et != "" {
			out.Header.Set("If-None-Match", et)
		}
		if lm := stale.Header.Get("Last-Modified"); lm != "" {
			out.Header.Set("If-Modified-Since", lm)
		}
	}
	out.Host = r.Host
	if hints != nil {
		out = out.WithContext(httptrace.WithClientTrace(out.Context(), forwardInterim(hints)))
	}
	resp, err := p.transport.RoundTrip(out)
	res.responseTime = p.now()
	if err != nil {
		cancel()
		res.err = err
		return answer{fetched: res}
	}
	res.status, res.header = resp.StatusCode, http.Header{}
	copyHeaders(res.header, resp.Header)
	p.varyOn(res.header, keptHost(r))
	if stale != nil && resp.StatusCode == http.StatusNotModified {
		// Freshen the stored entry with the 304's fields, Content-Length
		// aside (RFC 9111 section 4.3.4).
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		h := stale.Header.Clone()
		for k, v := range res.header {
			if k != "Content-Length" {
				h[k] = v
			}
		}
		res.status, res.header, res.body, res.hold = stale.Status, h, stale.Body, stale.hold
		p.varyOn(res.header, keptHost(r))
		if ok, _ := Storable(http.MethodGet, r.Header, res.status, res.header, res.responseTime); ok {
			res.storable = true
			e := p.entry(key, res, res.body)
			e.hold = stale.hold // the same bytes: charged once
			res.stored = p.store.Put(e, r.Header)
			res.hold = e.hold
		}
		body, _ := res.open()
		return answer{fetched: res, body: body}
	}
	res.storable, res.why = Storable(http.MethodGet, r.Header, res.status, res.header, res.responseTime)
	// The most body an entry for this response may carry: what the
	// store takes of one entry, less the entry's own cost.
	// The entry is made once, here, for its cost now and to be stored
	// once its body is whole: its fields and tags do not change.
	stored := p.entry(key, res, nil)
	limit := p.store.MaxEntry() - entryOverhead(stored)
	res.tooLarge = resp.ContentLength > limit
	res.tee = newTee(p.store, int(max(limit, 0)), res.storable && !res.tooLarge, resp.ContentLength)
	// Said in Cache-Status before the body arrives: only when sure, its
	// length known and its bytes reserved.
	res.stored = res.storable && resp.ContentLength >= 0 && res.tee.keepAll
	body := res.tee.reader() // before the fill starts: all of the body is there to read
	go func() {
		defer cancel()
		defer resp.Body.Close()
		_ = res.tee.fill(watchdog{resp.Body, time.AfterFunc(p.bodyIdle, cancel), p.bodyIdle}, resp.ContentLength, func(all []byte, h *hold) {
			if res.storable {
				stored.Body = all
				stored.hold = h // the tee's buffer becomes the entry's body: one copy
				p.store.Put(stored, r.Header)
			}
			if landed != nil {
				landed(res)
			}
		})
		if landed != nil {
			landed(res) // after a failure; once only
		}
	}()
	return answer{fetched: res, body: body}
}

// watchdog is a body whose reads must make progress: each read that
// returns bytes restarts the timer, whose end cancels the fetch.
type watchdog struct {
	r     io.Reader
	timer *time.Timer
	idle  time.Duration
}

func (w watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.timer.Reset(w.idle)
	}
	if err != nil {
		w.timer.Stop()
	}
	return n, err
}

// entry is the store's entry for a response fetched for key.
func (p *Proxy) entry(key string, res *fetched, body []byte) *Entry {
	return &Entry{Key: key, Status: res.status, Header: storedHeader(res.header), Body: body,
		RequestTime: res.requestTime, ResponseTime: res.responseTime, Tags: tagsOf(res.header)}
}

// storedHeader is what the cache keeps of a response's fields: not those
// a qualified private or no-cache names (RFC 9111 sections 5.2.2.4 and
// 5.2.2.7), which a shared cache must not store or reuse unvalidated,
// in Cache-Control or in a targeted field.
func storedHeader(h http.Header) http.Header {
	names := qualifiedFields(h)
	if len(names) == 0 {
		return h
	}
	out := h.Clone()
	for _, f := range names {
		out.Del(f)
	}
	return out
}
