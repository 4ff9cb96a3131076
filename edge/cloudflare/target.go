// Package cloudflare is the Cloudflare deploy target: it puts a build on
// Workers Static Assets as a new Worker version, live for all traffic at
// once, and lists and rolls back versions.
//
// A deploy builds the assets manifest in Cloudflare's hash scheme, opens
// an upload session, uploads only the files Cloudflare lacks (three
// buckets in flight, retried, with a new session when the upload token
// expires), then uploads the Worker: the assets' completion token, the
// _headers and _redirects the build implies, a build id annotation, and,
// when the site has API functions, a small Worker that sends their routes
// to the origin through Cloudflare's cache. The fingerprinted files of
// the previous builds stay in each new manifest, so pages open in a
// browser still load their assets after the switch.
//
// Answers get lost (done, then a 5xx or a dropped connection): a deploy
// looks for the version it may have made before uploading again, so it
// makes one version at most, and a rollback reads the live deployment
// before deploying again. Reads of what is live get a timeout of their
// own, shorter than an upload's.
package cloudflare

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/workers"

	"github.com/vergehq/verge/internal/cfapi"
)

// Config says where and how to deploy.
type Config struct {
	AccountID string // the Cloudflare account
	Script    string // the Worker's name
	Token     string // an API token allowed to edit Workers (from the environment only)
	BaseURL   string // the API; empty for Cloudflare's

	// Origin is the base URL of the origin serving the site's API
	// functions; the Worker sends their routes there. Empty: the site's
	// functions are not routed (a site without functions needs none).
	Origin string
	// CompatibilityDate is the Workers runtime date the Worker is written
	// for.
	CompatibilityDate string
	// MaxFiles is the most files a version may hold: 20,000 on the free
	// plan, 100,000 on paid ones.
	MaxFiles int
	// StateDir keeps what a deploy must remember for the next one (the
	// fingerprinted files of recent builds). Empty: nothing is kept
	// locally, and the live site's copy is the only record.
	StateDir string
	// SiteURL is where the Worker serves the site, for reading back the
	// record of recent builds when StateDir has none (a fresh CI
	// checkout). Empty: not read back.
	SiteURL string

	// Transfer tuning; zero values are wrangler's.
	InFlight       int           // buckets uploaded at once: 3
	Attempts       int           // tries per request: 5
	Backoff        time.Duration // first wait between tries, doubling: 1s
	RequestTimeout time.Duration // per request: 2 minutes
	// ReadTimeout bounds each request that reads back what a deploy did
	// (the live version, a version whose upload answer was lost): 20 s,
	// well short of RequestTimeout, so a stalled read is tried again soon.
	ReadTimeout time.Duration
}

// defaultCompatibilityDate is the Workers runtime date the generated
// Worker was written against.
const defaultCompatibilityDate = "2025-06-01"

// Target deploys to one Worker.
type Target struct {
	cfg     Config
	scripts *workers.ScriptService
	uploads *workers.AssetUploadService
}

// New checks cfg and returns the target.
func New(cfg Config) (*Target, error) {
	var missing []string
	if cfg.AccountID == "" {
		missing = append(missing, "account_id ([cloudflare] account_id in verge.toml)")
	}
	if cfg.Script == "" {
		missing = append(missing, "the Worker name ([cloudflare] script in verge.toml)")
	}
	if cfg.Token == "" {
		missing = append(missing, "an API token (CLOUDFLARE_API_TOKEN in the environment)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cloudflare: missing %s", joinAnd(missing))
	}
	if cfg.CompatibilityDate == "" {
		cfg.CompatibilityDate = defaultCompatibilityDate
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = 20000
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 3
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 2 * time.Minute
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = min(20*time.Second, cfg.RequestTimeout)
	}
	// cloudflare-go builds and caches a form encoder per type on first
	// use without synchronisation (its cached map encoder writes to the
	// encoder that made it): concurrent first uses race. One use here,
	// before any bucket goes out in parallel, fills the cache.
	warm := workers.AssetUploadNewParams{Body: map[string]string{"warm": ""}}
	if _, _, err := warm.MarshalMultipart(); err != nil {
		return nil, fmt.Errorf("cloudflare: %w", err)
	}
	opts := cfapi.Options(cfg.Token, cfg.BaseURL, cfg.RequestTimeout)
	return &Target{cfg: cfg, scripts: workers.NewScriptService(opts...), uploads: workers.NewAssetUploadService(opts...)}, nil
}

// call runs one API call (see cfapi.Call, which decodes its result into
// res) up to cfg.Attempts times while the failure is one that may pass (a
// 5xx, a 429, a timeout, a dropped connection), waiting as Cloudflare
// asks or backing off.
func (t *Target) call(ctx context.Context, what string, res any, do func(opts ...option.RequestOption) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = cfapi.Call(do, res)
		if err == nil || attempt >= t.cfg.Attempts || !retryable(ctx, err) {
			break
		}
		if sleep(ctx, t.wait(attempt, err)) != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// callWithin is call with each request within timeout (0: the client's
// RequestTimeout).
func (t *Target) callWithin(ctx context.Context, timeout time.Duration, what string, res any, do func(opts ...option.RequestOption) error) error {
	if timeout <= 0 {
		return t.call(ctx, what, res, do)
	}
	return t.call(ctx, what, res, func(opts ...option.RequestOption) error {
		return do(append(opts, option.WithRequestTimeout(timeout))...)
	})
}

// wait is how long to wait before the next attempt: what a 429 asked
// for, else the backoff doubling from cfg.Backoff.
func (t *Target) wait(attempt int, err error) time.Duration {
	if e, ok := cfapi.AsError(err); ok && e.RetryAfter > 0 {
		return min(e.RetryAfter, maxRetryAfter)
	}
	return t.cfg.Backoff << (attempt - 1)
}

// maxRetryAfter bounds how long a deploy waits on one Retry-After.
const maxRetryAfter = 5 * time.Minute

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " and " + s[len(s)-1]
}

// retryable says whether a failed call may pass if tried again: a busy
// or failing API, a per-request timeout, a dropped connection; never
// once ctx is done.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if e, ok := cfapi.AsError(err); ok {
		return e.Retryable()
	}
	return true
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
