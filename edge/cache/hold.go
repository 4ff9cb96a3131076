package cache

// This file holds the store's accounting: what a body and an entry
// cost, and the bookkeeping that keeps every body the cache holds, not
// only stored ones, within the budget.

import "time"

// hold is the charge of one body's bytes to a store's budget. The body
// is held by the entries that carry it and by users (a tee filling it,
// requests writing it to clients); its bytes stay charged while any
// holds it, so a slow client reading an evicted body still counts. Its
// fields are guarded by the store's lock.
type hold struct {
	n       int64 // bytes charged
	entries int
	users   int
}

func (h *hold) dead() bool { return h.entries == 0 && h.users == 0 }

// room evicts least recently used entries until n more bytes fit the
// budget; it reports false, evicting nothing, when they cannot: the
// bodies in use (which eviction does not free) leave no room. The lock
// is held.
func (s *Store) room(n int64) bool {
	if s.held+n > s.budget {
		return false
	}
	for s.used+n > s.budget {
		back := s.lru.Back()
		if back == nil {
			return false // not reached: with no entries, used is held
		}
		s.remove(back.Value.(*Entry))
	}
	return true
}

// reserve charges n bytes for a body about to be buffered, for its one
// user, the caller; nil when the budget has no room for them.
func (s *Store) reserve(n int64) *hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.room(n) {
		return nil
	}
	s.used += n
	s.held += n
	return &hold{n: n, users: 1}
}

// grow charges n more bytes to h, which its caller uses; false when
// the budget has no room for them.
func (s *Store) grow(h *hold, n int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.room(n) {
		return false
	}
	h.n += n
	s.used += n
	s.held += n
	return true
}

// acquire adds a user to h; false when h is gone (nothing held it), and
// its body with it.
func (s *Store) acquire(h *hold) bool {
	if h == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.dead() {
		return false
	}
	if h.users == 0 {
		s.held += h.n
	}
	h.users++
	return true
}

// release ends one user's hold on h; it reports whether h lives on (an
// entry or another user holds it).
func (s *Store) release(h *hold) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.users--
	if h.users == 0 {
		s.held -= h.n
		if h.entries == 0 {
			s.used -= h.n
		}
	}
	return !h.dead()
}

// pinMin is the smallest body a request writing it out holds: a smaller
// one is copied into the connection's buffer at once.
const pinMin = 16 << 10

// pin holds e's body while a request writes it out; the returned func
// lets go of it.
func (s *Store) pin(e *Entry) func() {
	if len(e.Body) < pinMin || !s.acquire(e.hold) {
		// An entry just evicted is gone: written out unpinned, as a
		// copy would be.
		return func() {}
	}
	return func() { s.release(e.hold) }
}

// entryBase is what an entry costs besides its key, fields, tags and
// body, measured (TestStoreOverheadCounted): the Entry, its list
// element, its slot in the store's map and its variant slice, and the
// fast path's worked-out form.
const entryBase = 640

// entryOverhead is what e costs besides its body's bytes. A field costs
// its name and values twice (the map, and the fast path's pre-formatted
// head), and the map's and slices' own structures.
func entryOverhead(e *Entry) int64 {
	n := entryBase + 2*len(e.Key)
	for k, vs := range e.Header {
		n += 64 + 2*len(k)
		for _, v := range vs {
			n += 24 + 2*len(v) + len(k) + 4
		}
	}
	for k, v := range e.vary {
		n += 64 + len(k) + len(v)
	}
	for _, t := range e.Tags {
		n += 16 + len(t)
	}
	return int64(n)
}

// tagMax bounds how many purged tags the store remembers, of each kind.
const tagMax = 10000

// boundTags keeps m, the purged tags of one kind, within tagMax. First
// it forgets purges older than every stored entry's fetch: they purge
// nothing stored, and an entry fetched before them is not stored any
// more (tagFloor). If that is not enough, the older half of the purges
// becomes a purge of everything fetched before them, which purges more
// than was asked, never less. The lock is held.
func (s *Store) boundTags(m map[string]time.Time, soft bool) {
	if len(m) <= tagMax {
		return
	}
	oldest := time.Time{}
	for _, list := range s.entries {
		for _, e := range list {
			if oldest.IsZero() || e.RequestTime.Before(oldest) {
				oldest = e.RequestTime
			}
		}
	}
	for t, at := range m {
		if oldest.IsZero() || at.Before(oldest) {
			delete(m, t)
			if at.After(s.tagFloor) {
				s.tagFloor = at
			}
		}
	}
	if len(m) <= tagMax/2 {
		return
	}
	times := make([]time.Time, 0, len(m))
	for _, at := range m {
		times = append(times, at)
	}
	cut := nthTime(times, len(times)/2)
	all := &s.hardAll
	if soft {
		all = &s.softAll
	}
	if cut.After(*all) {
		*all = cut
	}
	for t, at := range m {
		if !at.After(cut) {
			delete(m, t)
		}
	}
}

// nthTime is the n-th earliest of ts (which it reorders).
func nthTime(ts []time.Time, n int) time.Time {
	for {
		pivot := ts[len(ts)/2]
		var lo, hi []time.Time
		eq := 0
		for _, t := range ts {
			switch {
			case t.Before(pivot):
				lo = append(lo, t)
			case t.After(pivot):
				hi = append(hi, t)
			default:
				eq++
			}
		}
		switch {
		case n < len(lo):
			ts = lo
		case n < len(lo)+eq:
			return pivot
		default:
			n -= len(lo) + eq
			ts = hi
		}
	}
}
