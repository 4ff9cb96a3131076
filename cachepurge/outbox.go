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

// Outbox is a durable queue of purges for one target: a purge is on disk
// before Add returns, and leaves the queue only once its target has
// taken it (or refused it for good, when it moves to the failed list). A
// crash, a restart, an outage or a rate limit delays a purge, never loses
// it. Purges queued together are merged, and a purge is idempotent, so
// sending one twice (after a crash between the send and the removal)
// does no harm.
type Outbox struct {
	dir string
	lim Limits
	now func() time.Time
	mu  sync.Mutex // this process's share of the queue lock
	smu sync.Mutex // this process's share of the send lock
}

// The outbox's directories: pending purges, the last sent ones, and the
// ones the target refused for good, one JSON file each.
const (
	pendingDir = "pending"
	sentDir    = "sent"
	failedDir  = "failed"
	keepSent   = 50
)

// OpenOutbox opens the outbox in dir, making it if needed, for a target
// with the limits lim.
func OpenOutbox(dir string, lim Limits) (*Outbox, error) {
	for _, d := range []string{pendingDir, sentDir, failedDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", dir, err)
		}
	}
	return &Outbox{dir: dir, lim: lim, now: time.Now}, nil
}

// Limits are the target's limits the outbox keeps to.
func (o *Outbox) Limits() Limits { return o.lim }

// Add queues p, split into what one request of the target takes, each
// piece merged into a pending purge of its kind that has not been tried
// yet when the two fit in one request. It returns the purges the pieces
// are queued in, as they are on disk: their IDs and the time each was
// first queued (a merge keeps the earlier purge's).
func (o *Outbox) Add(p Purge) ([]Purge, error) {
	for _, t := range p.Tags {
		if msg := ValidTag(t); msg != "" {
			return nil, errors.New(msg)
		}
	}
	for _, u := range p.URLs {
		if msg := ValidURL(u); msg != "" {
			return nil, errors.New(msg)
		}
	}
	unlock, err := o.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var queued []Purge
	for _, piece := range o.split(p) {
		q, err := o.add(piece)
		if err != nil {
			return queued, err
		}
		queued = append(queued, q)
	}
	return queued, nil
}

// split cuts p into single requests: everything alone, else tags and URLs
// apart, each within the target's limit.
func (o *Outbox) split(p Purge) []Purge {
	if p.Everything {
		return []Purge{{Everything: true, Soft: p.Soft}}
	}
	var out []Purge
	for c := range slices.Chunk(union(p.Tags, nil), perRequest(o.lim.TagsPerRequest, len(p.Tags))) {
		out = append(out, Purge{Tags: c, Soft: p.Soft})
	}
	for c := range slices.Chunk(union(p.URLs, nil), perRequest(o.lim.URLsPerRequest, len(p.URLs))) {
		out = append(out, Purge{URLs: c, Soft: p.Soft})
	}
	return out
}

// perRequest is a limit per request, or all n when there is none.
func perRequest(limit, n int) int {
	if limit > 0 {
		return limit
	}
	return max(n, 1)
}

// add queues one request's purge, merged when it fits, and returns the
// purge it is queued in.
func (o *Outbox) add(p Purge) (Purge, error) {
	pending, err := o.read(pendingDir)
	if err != nil {
		return Purge{}, err
	}
	for _, q := range pending {
		if q.Attempts > 0 || q.Claimed || q.Soft != p.Soft || !o.fits(q, p) {
			continue
		}
		q.Tags = union(q.Tags, p.Tags)
		q.URLs = union(q.URLs, p.URLs)
		q.Everything = q.Everything || p.Everything
		if q.Everything {
			q.Tags, q.URLs = nil, nil // everything covers them
		}
		return q, o.write(pendingDir, q)
	}
	p.ID = newID(o.now())
	p.Queued = o.now().UTC()
	return p, o.write(pendingDir, p)
}

// fits says whether b can merge into a in one request.
func (o *Outbox) fits(a, b Purge) bool {
	switch {
	case a.Everything || b.Everything:
		return true
	case len(a.URLs) > 0 != (len(b.URLs) > 0), len(a.Tags) > 0 != (len(b.Tags) > 0):
		return false // tags and URLs go in requests of their own
	case o.lim.TagsPerRequest > 0 && len(union(a.Tags, b.Tags)) > o.lim.TagsPerRequest:
		return false
	case o.lim.URLsPerRequest > 0 && len(union(a.URLs, b.URLs)) > o.lim.URLsPerRequest:
		return false
	}
	return true
}

// Flush sends the pending purges that are due, oldest first, through p,
// within the target's rate limit. A purge that fails stays pending with
// its next try pushed back (exponentially, or as the target's Retry-After
// says); Flush then stops, keeping their order. A purge the target
// refuses for good moves to the failed list, and the error Flush returns
// holds a *Refused for it. Purges queued while Flush
// runs are sent too. It returns how many it sent.
//
// One Flush runs at a time (across processes); Add waits only for the
// quick bookkeeping around each send, never for the send itself.
func (o *Outbox) Flush(ctx context.Context, p Purger) (int, error) {
	unlockSend, err := o.lockSend()
	if err != nil {
		return 0, err
	}
	defer unlockSend()
	sent := 0
	var refused []error // purges the target refused for good, this flush
	for {
		if err := ctx.Err(); err != nil {
			return sent, errors.Join(append(refused, err)...)
		}
		q, ok, err := o.claimNext()
		if err != nil || !ok {
			return sent, errors.Join(append(refused, err)...)
		}
		if q.NextTry.After(o.now()) {
			// Not due: later ones wait their turn.
			return sent, errors.Join(append(refused, &NotDue{Until: q.NextTry, Reason: q.LastError})...)
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
			return sent, errors.Join(append(refused, o.update(pendingDir, q), &RateLimited{Until: q.NextTry})...)
		}
		perr := p.Purge(ctx, q)
		var perm *Permanent
		switch {
		case perr == nil:
			q.Sent = o.now().UTC()
			if err := o.move(q, sentDir); err != nil {
				return sent, err
			}
			sent++
		case ctx.Err() != nil:
			// Cut short: not the target's failure. Open it to merges again.
			return sent, errors.Join(append(refused, o.update(pendingDir, q), perr)...)
		case errors.As(perr, &perm):
			q.Attempts++
			q.LastError = perr.Error()
			q.Failed = o.now().UTC()
			if err := o.move(q, failedDir); err != nil {
				return sent, err
			}
			refused = append(refused, &Refused{ID: q.ID, Err: perr})
		default:
			q.Attempts++
			q.LastError = perr.Error()
			var ra *RetryAfter
			q.BackingOff = !errors.As(perr, &ra) // the target's own wait is kept; ours may be cut short
			q.NextTry = o.now().Add(backoff(q.Attempts, perr))
			return sent, errors.Join(append(refused, o.update(pendingDir, q), fmt.Errorf("purge %s: %w", q.ID, perr))...)
		}
	}
}

// claimNext marks the oldest pending purge as being sent (so nothing
// merges into it meanwhile) and returns it.
func (o *Outbox) claimNext() (Purge, bool, error) {
	unlock, err := o.lock()
	if err != nil {
		return Purge{}, false, err
	}
	defer unlock()
	pending, err := o.read(pendingDir)
	if err != nil || len(pending) == 0 {
		return Purge{}, false, err
	}
	q := pending[0]
	if !q.Claimed && !q.NextTry.After(o.now()) {
		q.Claimed = true
		if err := o.write(pendingDir, q); err != nil {
			return q, false, err
		}
	}
	return q, true, nil
}

// update rewrites a pending purge that is no longer being sent: held
// back, failed for now, or cut short. Only a purge never tried takes
// merges (see add), so one that failed keeps its own requests.
func (o *Outbox) update(sub string, q Purge) error {
	unlock, err := o.lock()
	if err != nil {
		return err
	}
	defer unlock()
	q.Claimed = false
	return o.write(sub, q)
}

// move takes a purge out of the pending ones into sub (sent or failed).
func (o *Outbox) move(q Purge, sub string) error {
	unlock, err := o.lock()
	if err != nil {
		return err
	}
	defer unlock()
	q.Claimed = false
	if err := o.write(sub, q); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(o.dir, pendingDir, q.ID+".json")); err != nil {
		return err
	}
	return o.trim(sub)
}

// RetryNow makes the pending purges that are backing off after a failure
// due now (someone asked to send them: the cause may be fixed). Waits a
// target asked for, and the rate limit, still hold.
func (o *Outbox) RetryNow() error {
	unlock, err := o.lock()
	if err != nil {
		return err
	}
	defer unlock()
	pending, err := o.read(pendingDir)
	if err != nil {
		return err
	}
	for _, q := range pending {
		if q.BackingOff && q.NextTry.After(o.now()) {
			q.NextTry, q.BackingOff = time.Time{}, false
			if err := o.write(pendingDir, q); err != nil {
				return err
			}
		}
	}
	return nil
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
	Failed  []Purge `json:"failed"`  // refused by the target for good, newest first
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
	if st.Failed, err = o.read(failedDir); err != nil {
		return st, err
	}
	slices.Reverse(st.Failed)
	return st, nil
}

// lock takes the queue lock, held for bookkeeping only: against this
// process's other goroutines and other processes.
func (o *Outbox) lock() (func(), error) { return o.lockBoth(&o.mu, "lock") }

// lockSend takes the send lock, held by the one Flush running.
func (o *Outbox) lockSend() (func(), error) { return o.lockBoth(&o.smu, "send.lock") }

func (o *Outbox) lockBoth(mu *sync.Mutex, name string) (func(), error) {
	mu.Lock()
	unlock, err := o.lockFile(name)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	return func() { unlock(); mu.Unlock() }, nil
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

// trim keeps the last keepSent purges in sub.
func (o *Outbox) trim(sub string) error {
	list, err := o.read(sub)
	if err != nil {
		return err
	}
	for _, p := range list[:max(0, len(list)-keepSent)] {
		if err := os.Remove(filepath.Join(o.dir, sub, p.ID+".json")); err != nil {
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
