package cache

import (
	"container/list"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/internal/httpcache"
)

// Entry is one stored response.
type Entry struct {
	Key          string // method and full URI, query included
	Status       int
	Header       http.Header // as received, hop-by-hop fields removed
	Body         []byte
	RequestTime  time.Time // when the fetch that produced it started
	ResponseTime time.Time // when its response arrived
	Tags         []string  // from Cache-Tag and Surrogate-Key
	// vary holds the request's values of the fields the response's Vary
	// nominates, for matching later requests.
	vary  map[string]string
	elem  *list.Element
	size  int64 // what the entry costs besides its body (see entryOverhead)
	hold  *hold // its body's charge, shared with whatever else holds the body
	stale bool  // soft-purged by key; guarded by the store's lock

	fastCache atomic.Pointer[fastResult] // see Entry.fast
}

// requestFields reads a request's fields: an http.Header, or the front
// end's request.
type requestFields interface {
	Values(name string) []string
}

// Purge is the state a purge leaves an entry in.
type Purge int

const (
	NotPurged  Purge = iota
	SoftPurged       // stale: may be served while revalidating
	HardPurged       // gone: the next request waits for the origin
)

// Store holds entries within a byte budget, evicting the least recently
// used, and keeps purges by tag as times rather than by scanning: an
// entry is purged when one of its tags, or everything, was purged at or
// after its fetch started, which also covers a fetch in flight when the
// purge came (RFC-less, what CDNs do).
//
// The budget covers every body the cache holds, not only stored ones:
// bodies arriving from the origin reserve their bytes before they are
// buffered, and a body being written to a client stays charged, evicted
// or not, until the write ends (see hold). A body is held once however
// many read it.
type Store struct {
	mu       sync.Mutex
	budget   int64
	used     int64               // entries' overhead, and every live hold's bytes
	held     int64               // bytes of holds something besides entries holds: not freed by evicting
	entries  map[string][]*Entry // by key, one per Vary variant
	lru      *list.List          // front: most recently used
	hardTags map[string]time.Time
	softTags map[string]time.Time
	hardAll  time.Time
	softAll  time.Time
	// tagFloor is the latest time of a tag purge forgotten (see
	// boundTags): an entry whose fetch started before it is not stored,
	// since a forgotten purge may have been meant for it.
	tagFloor time.Time
}

// NewStore returns a store whose memory for responses stays within
// budget bytes: stored entries (bodies, fields, key and a per-entry
// overhead for the structures that index them), bodies in flight from
// the origin, and evicted bodies still being written to slow clients.
// No entry may take more than MaxEntry of it. What a request costs
// beyond that (its connection's buffers, and a 32 KiB window for a body
// streamed through without being stored) is per connection, not per
// byte of body.
func NewStore(budget int64) *Store {
	return &Store{budget: budget, entries: map[string][]*Entry{}, lru: list.New(),
		hardTags: map[string]time.Time{}, softTags: map[string]time.Time{}}
}

// Get returns the entry stored for key whose Vary fields match req, and
// its purge state; a hard-purged entry is removed and not returned.
func (s *Store) Get(key string, req requestFields) (*Entry, Purge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries[key] {
		if !e.matches(req) {
			continue
		}
		switch p := s.purgeState(e); p {
		case HardPurged:
			s.remove(e)
			return nil, NotPurged
		default:
			s.lru.MoveToFront(e.elem)
			return e, p
		}
	}
	return nil, NotPurged
}

// Put stores e for the request headers req (their Vary-nominated values
// key the variant), replacing the variant it matches, and evicts until
// the store is within its budget. An entry larger than MaxEntry is not
// stored: it would push out too much; nor one the budget has no room
// for, all of it held by bodies in use; nor one fetched before a tag
// purge the store has forgotten.
func (s *Store) Put(e *Entry, req http.Header) bool {
	e.vary = varyValues(e.Header, req)
	e.size = entryOverhead(e)
	if int64(len(e.Body))+e.size > s.MaxEntry() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !e.RequestTime.After(s.tagFloor) {
		return false
	}
	for _, old := range s.entries[e.Key] {
		if sameVary(old.vary, e.vary) {
			s.remove(old)
			break
		}
	}
	need := e.size
	h := e.hold
	if h == nil || h.dead() {
		h = &hold{n: int64(cap(e.Body))}
		e.hold = h
		need += h.n
	}
	h.entries++ // kept alive while room evicts
	if !s.room(need) {
		h.entries--
		return false
	}
	s.used += need
	e.elem = s.lru.PushFront(e)
	s.entries[e.Key] = append(s.entries[e.Key], e)
	return true
}

// MaxEntry is the largest entry, body and overhead, the store keeps: an
// eighth of the budget, and never more than maxBody.
func (s *Store) MaxEntry() int64 { return min(s.budget/8, maxBody) }

// Fits reports whether a body of n bytes may be stored: Put refuses
// entries over MaxEntry.
func (s *Store) Fits(n int64) bool {
	return n <= s.MaxEntry()
}

// Used is how many bytes the store charges to its budget: entries,
// bodies in flight and bodies being written out.
func (s *Store) Used() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// PurgeTags purges every entry carrying one of tags, fetched before at.
func (s *Store) PurgeTags(tags []string, soft bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.hardTags
	if soft {
		m = s.softTags
	}
	for _, t := range tags {
		if at.After(m[t]) {
			m[t] = at
		}
	}
	s.boundTags(m, soft)
}

// PurgeAll purges every entry fetched before at.
func (s *Store) PurgeAll(soft bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if soft {
		s.softAll = at
	} else {
		s.hardAll = at
	}
}

// PurgeKeys purges the entries whose key is one of keys, or starts with
// one of prefixes; it returns how many it found. (Soft purges mark them
// stale; hard ones remove them.)
func (s *Store) PurgeKeys(keys, prefixes []string, soft bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	hit := func(k string) bool {
		for _, x := range keys {
			if k == x {
				return true
			}
		}
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	for k, list := range s.entries {
		if !hit(k) {
			continue
		}
		for _, e := range list {
			n++
			if soft {
				e.stale = true
			} else {
				s.remove(e)
			}
		}
	}
	return n
}

// purgeState is what purges say of e.
func (s *Store) purgeState(e *Entry) Purge {
	if !e.RequestTime.After(s.hardAll) {
		return HardPurged
	}
	for _, t := range e.Tags {
		if at, ok := s.hardTags[t]; ok && !e.RequestTime.After(at) {
			return HardPurged
		}
	}
	if e.stale || !e.RequestTime.After(s.softAll) {
		return SoftPurged
	}
	for _, t := range e.Tags {
		if at, ok := s.softTags[t]; ok && !e.RequestTime.After(at) {
			return SoftPurged
		}
	}
	return NotPurged
}

// remove drops e; the caller holds the lock.
func (s *Store) remove(e *Entry) {
	list := s.entries[e.Key]
	for i, x := range list {
		if x == e {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.entries, e.Key)
	} else {
		s.entries[e.Key] = list
	}
	s.lru.Remove(e.elem)
	s.used -= e.size
	e.hold.entries--
	if e.hold.dead() {
		s.used -= e.hold.n
	}
}

// varyValues records the request's values of the fields resp's Vary
// nominates.
func varyValues(resp http.Header, req requestFields) map[string]string {
	var out map[string]string
	for _, v := range resp.Values("Vary") {
		for _, f := range httpcache.SplitList(v) {
			if out == nil {
				out = map[string]string{}
			}
			f = http.CanonicalHeaderKey(f)
			out[f] = normalizeField(req.Values(f))
		}
	}
	return out
}

// matches reports whether req selects e's variant: every nominated field
// has the same value, whitespace around commas aside (RFC 9111 4.1).
func (e *Entry) matches(req requestFields) bool {
	for f, v := range e.vary {
		if f == "*" || normalizeField(req.Values(f)) != v {
			return false
		}
	}
	return true
}

func normalizeField(vals []string) string {
	var parts []string
	for _, v := range vals {
		parts = append(parts, httpcache.SplitList(v)...)
	}
	return strings.Join(parts, ",")
}

func sameVary(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
