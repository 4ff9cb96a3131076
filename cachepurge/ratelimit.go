package cachepurge

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vergehq/verge/internal/fsatomic"
)

// Rate is a target's purge rate limit, a token bucket: PerMinute
// requests a minute, up to Burst at once.
type Rate struct {
	PerMinute float64
	Burst     float64
}

// RateLimited says the outbox holds purges back to stay within the
// target's rate limit, until Until.
type RateLimited struct{ Until time.Time }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("held back by the target's rate limit until %s", e.Until.Local().Format(time.TimeOnly))
}

// bucket is the token bucket's state, kept on disk so that separate runs
// of verge (a deploy, then a purge, a webhook) share one limit.
type bucket struct {
	Tokens float64   `json:"tokens"`
	At     time.Time `json:"at"`
}

const rateFile = "rate.json"

// Available is how many requests the target's rate limit allows now
// (+Inf when it has none).
func (o *Outbox) Available() float64 {
	r := o.lim.Rate
	if r.PerMinute <= 0 {
		return math.Inf(1)
	}
	b := o.bucket()
	return min(r.Burst, b.Tokens+max(0, o.now().Sub(b.At).Seconds())*r.PerMinute/60)
}

// bucket reads the token bucket's state; a missing or torn file is a
// full bucket.
func (o *Outbox) bucket() bucket {
	b := bucket{Tokens: o.lim.Rate.Burst, At: o.now()}
	if data, err := os.ReadFile(filepath.Join(o.dir, rateFile)); err == nil {
		_ = json.Unmarshal(data, &b)
	}
	return b
}

// take takes n tokens from the bucket, or says how long until there are
// n (a purge costing more than the burst waits for a full bucket). A
// Rate of zero takes everything at once.
func (o *Outbox) take(n int) (time.Duration, error) {
	r := o.lim.Rate
	if r.PerMinute <= 0 {
		return 0, nil
	}
	now := o.now()
	b := o.bucket()
	perSec := r.PerMinute / 60
	b.Tokens = min(r.Burst, b.Tokens+max(0, now.Sub(b.At).Seconds())*perSec)
	b.At = now
	need := min(float64(n), r.Burst)
	if b.Tokens < need {
		return time.Duration((need - b.Tokens) / perSec * float64(time.Second)), nil
	}
	b.Tokens -= need
	data, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	return 0, fsatomic.WriteFileDurable(filepath.Join(o.dir, rateFile), data)
}

// lockFile takes the outbox's lock file name, waiting for another
// process (a deploy, verge purge, the origin's webhook) that holds it.
func (o *Outbox) lockFile(name string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(o.dir, name), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox %s: lock: %w", o.dir, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
