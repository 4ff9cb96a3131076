// Package cfapi holds what Verge's two users of Cloudflare's API (the
// deploy target and the purger) share about talking to it through
// cloudflare-go: the client options, and reading an answer's envelope,
// which the SDK does not check when Cloudflare answers HTTP 200 with
// "success": false.
//
// Only the SDK's service subpackages are imported, never its root: the
// root pulls in every Cloudflare service and takes minutes to compile.
package cfapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"
)

// DefaultBaseURL is Cloudflare's API.
const DefaultBaseURL = "https://api.cloudflare.com/client/v4/"

// Options are the client options for token and base (DefaultBaseURL
// when empty). The SDK retries nothing by itself: callers retry what is
// safe to, with their own limits, since a timed-out attempt is never
// retried by the SDK anyway.
func Options(token, base string, timeout time.Duration) []option.RequestOption {
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return []option.RequestOption{
		option.WithBaseURL(base),
		option.WithAPIToken(token),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(timeout),
		option.WithHeaderDel("X-Auth-Key"),
		option.WithHeaderDel("X-Auth-Email"),
	}
}

// Envelope is the shape of every API answer. Decode an answer into it
// (option.WithResponseBodyInto) to see success:false.
type Envelope struct {
	Success bool            `json:"success"`
	Errors  []Message       `json:"errors"`
	Result  json.RawMessage `json:"result"`
}

// Message is one of an answer's errors.
type Message struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Error is an answer Cloudflare refused: its HTTP status, its errors, and
// how long it asked to wait (429's Retry-After).
type Error struct {
	Status     int
	Errors     []Message
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var msgs []string
	for _, m := range e.Errors {
		msgs = append(msgs, fmt.Sprintf("%s (code %d)", m.Message, m.Code))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, http.StatusText(e.Status))
	}
	return fmt.Sprintf("cloudflare: HTTP %d: %s", e.Status, strings.Join(msgs, "; "))
}

// Retryable says whether trying again may succeed: the API was busy or
// failed (429, 5xx, 408, 409).
func (e *Error) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusConflict
}

// Has says whether Cloudflare gave error code c.
func (e *Error) Has(c int) bool {
	for _, m := range e.Errors {
		if m.Code == c {
			return true
		}
	}
	return false
}

// Check turns the outcome of an SDK call into an *Error when Cloudflare
// refused it: an HTTP error status (resp, captured with
// option.WithResponseInto, holds it), or a 200 whose envelope env (when
// decoded) says success:false. Transport errors and timeouts come back
// as they are.
func Check(resp *http.Response, env *Envelope, err error) error {
	if resp != nil && resp.StatusCode >= 400 {
		e := &Error{Status: resp.StatusCode}
		if data, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); rerr == nil {
			var body Envelope
			if json.Unmarshal(data, &body) == nil {
				e.Errors = body.Errors
			}
		}
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if err != nil {
		return err
	}
	if env != nil && !env.Success {
		status := http.StatusOK
		if resp != nil {
			status = resp.StatusCode
		}
		return &Error{Status: status, Errors: env.Errors}
	}
	return nil
}

// Call runs one SDK call, do, passing it the options that capture the
// answer, and returns Check's verdict on it. When res is not nil, the
// envelope's result is decoded into it. The SDK's own decoding of the
// result is bypassed: its typed results drop fields (annotations) and it
// does not look at success.
func Call(do func(opts ...option.RequestOption) error, res any) error {
	var resp *http.Response
	var env Envelope
	err := do(option.WithResponseInto(&resp), option.WithResponseBodyInto(&env))
	if err = Check(resp, &env, err); err == nil && res != nil && len(env.Result) > 0 {
		err = json.Unmarshal(env.Result, res)
	}
	return err
}

// AsError returns err's *Error, if it has one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
