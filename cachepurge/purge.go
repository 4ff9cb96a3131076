package cachepurge

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Purge is one purge request for a target: by tags, by URLs, or
// everything; soft marks stale instead of removing. The outbox keeps each
// queued purge to what one request of its target takes.
type Purge struct {
	ID         string    `json:"id"`
	Tags       []string  `json:"tags,omitempty"`
	URLs       []string  `json:"urls,omitempty"`
	Everything bool      `json:"everything,omitempty"`
	Soft       bool      `json:"soft,omitempty"`
	Queued     time.Time `json:"queued"`
	Claimed    bool      `json:"claimed,omitempty"` // being sent: nothing merges into it
	Attempts   int       `json:"attempts,omitempty"`
	NextTry    time.Time `json:"next_try,omitzero"`
	BackingOff bool      `json:"backing_off,omitempty"` // NextTry is Verge's backoff, not the target's Retry-After
	LastError  string    `json:"last_error,omitempty"`
	Sent       time.Time `json:"sent,omitzero"`
	Failed     time.Time `json:"failed,omitzero"`
}

// Purger sends a purge to a target. An error that wraps *RetryAfter says
// when to try again; one that wraps *Permanent that no retry can help;
// any other error is retried with backoff.
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

// NotDue says the outbox's next purge waits, until Until (backing off
// after a failure, or as the target asked), and with it every purge
// after it.
type NotDue struct {
	Until  time.Time
	Reason string // the last failure, if any
}

func (e *NotDue) Error() string {
	msg := "the next purge is due at " + e.Until.Local().Format(time.TimeOnly)
	if e.Reason != "" {
		msg += " (it failed: " + e.Reason + ")"
	}
	return msg
}

// Refused is a purge the target refused for good: it is in the failed
// list now, and nothing will send it again.
type Refused struct {
	ID  string
	Err error
}

func (e *Refused) Error() string { return fmt.Sprintf("purge %s refused for good: %v", e.ID, e.Err) }
func (e *Refused) Unwrap() error { return e.Err }

// Permanent is a target's refusal that sending again cannot change (the
// request itself is wrong): the purge moves to the failed list, shown by
// Status, instead of holding back the purges after it forever.
type Permanent struct{ Err error }

func (e *Permanent) Error() string { return e.Err.Error() }
func (e *Permanent) Unwrap() error { return e.Err }

// ValidTag reports what is wrong with a tag no CDN would take, or "".
func ValidTag(t string) string {
	if t == "" || len(t) > maxTagLen {
		return fmt.Sprintf("tag %.40q: a tag has 1 to %d characters", t, maxTagLen)
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' || t[i] == ',' {
			return fmt.Sprintf("tag %q: a tag is printable ASCII without spaces or commas", t)
		}
	}
	return ""
}

// ValidURL reports what is wrong with a URL to purge, or "": it is a path
// ("/posts/a/") or an absolute http(s) URL.
func ValidURL(u string) string {
	if strings.HasPrefix(u, "//") || (!strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://")) {
		return fmt.Sprintf("url %q: give a path (/posts/a/) or an absolute http(s) URL", u)
	}
	if parsed, err := url.Parse(u); err != nil || strings.ContainsAny(u, " \t\n\r") {
		return fmt.Sprintf("url %q is not a URL", u)
	} else if parsed.IsAbs() && parsed.Host == "" {
		return fmt.Sprintf("url %q has no host", u)
	}
	return ""
}
