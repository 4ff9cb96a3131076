package cachepurge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vergehq/verge/internal/fsatomic"
)

// Purge is one purge request for a target: by tags, by URLs, or
// everything; soft marks stale instead of removing.
type Purge struct {
	ID         string    `json:"id"`
	Tags       []string  `json:"tags,omitempty"`
	URLs       []string  `json:"urls,omitempty"`
	Everything bool      `json:"everything,omitempty"`
	Soft       bool      `json:"soft,omitempty"`
	Queued     time.Time `json:"queued"`
	Attempts   int       `json:"attempts,omitempty"`
	NextTry    time.Time `json:"next_try,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	Sent       time.Time `json:"sent,omitzero"`
}

// Purger sends a purge to a target. An error that wraps *RetryAfter says
// when to try again; any other error is retried with backoff.
type Purger interface {
	Purge(ctx context.Context, p Purge) error
}

// RetryAfter is a target's answer that it is busy (HTTP 429): try again
// after Wait.
type RetryAfter struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfter) Error() string { return fmt.Sprintf("%v (retry after %s)", e.Err, e.Wait) }
func (e *RetryAfter) Unwrap() error { return e.Err }

// Outbox is a durable queue of purges for one target: a purge is on disk
// before Add returns, and leaves the queue only once its target has
// taken it. A crash, a restart, an outage or a rate limit delays a
// purge, never loses it. Purges queued together are merged, and a purge
// is idempotent, so sending one twice (after a crash between the send
// and the removal) does no harm.
type Outbox struct {
	dir     string
	maxTags int  // per purge, the target's limit
	rate    Rate // the target's rate limit
	now     func() time.Time
	mu      sync.Mutex // one Add or Flush at a time in this process (the lock file: across processes)
}

// The outbox's directories: pending purges, and the last sent ones (for
// Status), one JSON file each.
const (
	pendingDir = "pending"
	sentDir    = "sent"
	keepSent   = 50
)

// OpenOutbox opens the outbox in dir, making it if needed, for a target
// with the limits lim.
func OpenOutbox(dir string, lim Limits) (*Outbox, error) {
	for _, d := range []string{pendingDir, sentDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", dir, err)
		}
	}
	return &Outbox{dir: dir, maxTags: lim.TagsPerRequest, rate: lim.Rate, now: time.Now}, nil
}

// ValidTag reports what is wrong with a tag no CDN would take, or "".
func ValidTag(t string) string {
	if t == "" || len(t) > MaxTagLen {
		return fmt.Sprintf("tag %.40q: a tag has 1 to %d characters", t, MaxTagLen)
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' || t[i] == ',' {
			return fmt.Sprintf("tag %q: a tag is printable ASCII without spaces or commas", t)
		}
	}
	return ""
}

// Add queues p, merged into a pending purge that has not been tried yet
// when the two fit in one request, and returns the ID it is queued under.
func (o *Outbox) Add(p Purge) (string, error) {
	for _, t := range p.Tags {
		if msg := ValidTag(t); msg != "" {
			return "", errors.New(msg)
		}
	}
	unlock, err := o.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	pending, err := o.read(pendingDir)
	if err != nil {
		return "", err
	}
	for _, q := range pending {
		if q.Attempts == 0 && q.Soft == p.Soft && o.fits(q, p) {
			q.Tags = union(q.Tags, p.Tags)
			q.URLs = union(q.URLs, p.URLs)
			q.Everything = q.Everything || p.Everything
			if q.Everything {
				q.Tags, q.URLs = nil, nil // everything covers them
			}
			return q.ID, o.write(pendingDir, q)
		}
	}
	p.ID = newID(o.now())
	p.Queued = o.now().UTC()
	if p.Everything {
		p.Tags, p.URLs = nil, nil
	}
	return p.ID, o.write(pendingDir, p)
}

func (o *Outbox) fits(a, b Purge) bool {
	if a.Everything || b.Everything {
		return true
	}
	return o.maxTags <= 0 || len(union(a.Tags, b.Tags)) <= o.maxTags
}

// Flush sends the pending purges that are due, oldest first, through p,
// within the target's rate limit. A purge that fails stays pending with
// its next try pushed back (exponentially, or as the target's Retry-After
// says); Flush then stops, keeping their order. It returns how many it
// sent.
func (o *Outbox) Flush(ctx context.Context, p Purger) (int, error) {
	unlock, err := o.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	pending, err := o.read(pendingDir)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, q := range pending {
		if now := o.now(); q.NextTry.After(now) {
			return sent, nil // not due: later ones wait their turn
		}
		cost := 1
		if c, ok := p.(interface{ Requests(Purge) int }); ok {
			cost = c.Requests(q)
		}
		wait, err := o.take(cost)
		if err != nil {
			return sent, err
		}
		if wait > 0 {
			q.NextTry = o.now().Add(wait)
			if err := o.write(pendingDir, q); err != nil {
				return sent, err
			}
			return sent, &RateLimited{Until: q.NextTry}
		}
		err = p.Purge(ctx, q)
		if err != nil {
			q.Attempts++
			q.LastError = err.Error()
			q.NextTry = o.now().Add(backoff(q.Attempts, err))
			if werr := o.write(pendingDir, q); werr != nil {
				return sent, werr
			}
			return sent, fmt.Errorf("purge %s: %w", q.ID, err)
		}
		q.Sent = o.now().UTC()
		if err := o.write(sentDir, q); err != nil {
			return sent, err
		}
		if err := os.Remove(filepath.Join(o.dir, pendingDir, q.ID+".json")); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, o.trimSent()
}

// backoff is how long to wait before the next try: the target's
// Retry-After, else 2^attempts seconds up to ten minutes.
func backoff(attempts int, err error) time.Duration {
	var ra *RetryAfter
	if errors.As(err, &ra) && ra.Wait > 0 {
		return ra.Wait
	}
	return min(time.Duration(1<<min(attempts, 10))*time.Second, 10*time.Minute)
}

// Status is what the outbox holds.
type Status struct {
	Pending []Purge `json:"pending"` // oldest first; those with LastError have failed and will be retried
	Sent    []Purge `json:"sent"`    // the last ones sent, newest first
}

// Status reports the pending purges and the last sent ones.
func (o *Outbox) Status() (Status, error) {
	unlock, err := o.lock()
	if err != nil {
		return Status{}, err
	}
	defer unlock()
	var st Status
	if st.Pending, err = o.read(pendingDir); err != nil {
		return st, err
	}
	if st.Sent, err = o.read(sentDir); err != nil {
		return st, err
	}
	slices.Reverse(st.Sent)
	return st, nil
}

// lock holds the outbox against this process's other goroutines and
// other processes.
func (o *Outbox) lock() (func(), error) {
	o.mu.Lock()
	unlock, err := o.lockFile()
	if err != nil {
		o.mu.Unlock()
		return nil, err
	}
	return func() { unlock(); o.mu.Unlock() }, nil
}

// read lists the purges in sub, oldest first (IDs sort by time).
func (o *Outbox) read(sub string) ([]Purge, error) {
	ents, err := os.ReadDir(filepath.Join(o.dir, sub))
	if err != nil {
		return nil, err
	}
	var out []Purge
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(o.dir, sub, e.Name()))
		if err != nil {
			return nil, err
		}
		var p Purge
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", e.Name(), err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Purge) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// write stores p in sub durably: it is on disk when write returns.
func (o *Outbox) write(sub string, p Purge) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return fsatomic.WriteFileDurable(filepath.Join(o.dir, sub, p.ID+".json"), data)
}

// trimSent keeps the last keepSent sent purges.
func (o *Outbox) trimSent() error {
	sent, err := o.read(sentDir)
	if err != nil {
		return err
	}
	for _, p := range sent[:max(0, len(sent)-keepSent)] {
		if err := os.Remove(filepath.Join(o.dir, sentDir, p.ID+".json")); err != nil {
			return err
		}
	}
	return nil
}

// newID is a purge ID that sorts by time: nanoseconds, then randomness.
func newID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%019d-%s", t.UnixNano(), hex.EncodeToString(b[:]))
}

// union returns a and b's strings, each once, sorted.
func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range append(slices.Clone(a), b...) {
		set[s] = true
	}
	if len(set) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(set))
}
