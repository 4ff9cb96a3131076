// Package cffake is a local fake of the parts of Cloudflare's API that
// Verge uses: the Workers Static Assets upload (session and buckets),
// Worker versions and deployments, and zone cache purge. Tests and
// benchmarks drive it through the real cloudflare-go client.
//
// It enforces what shared/notes/cloudflare.md records of the real API:
// the asset hash scheme, the session and bucket protocol (202, then 201
// with the completion token), upload-token auth, per-part Content-Type,
// the one-part metadata of a script upload, the _headers and _redirects
// limits, the purge limits (100 tags, 1,024 characters, printable ASCII)
// with HTTP 200 success:false errors, and a purge rate limit answering 429
// with Retry-After. Faults (5xx answers, stalls, answers lost after the
// work is done) can be injected per operation, counted (Fail, Stall,
// Lose) or at a seeded random rate (SetRate). It also serves the active deployment's assets as Workers
// Static Assets would, so a test can read the deployed site.
package cffake

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configure a fake. Zero fields take the real API's values.
type Options struct {
	Token   string // the API token API calls must carry; default "test-token"
	Account string // the account ID; default "acct"
	Zone    string // the zone ID; default "zone"
	// UploadTokenTTL is how long an upload session's token is good for
	// (Cloudflare: one hour).
	UploadTokenTTL time.Duration
	// BucketFiles is how many files Cloudflare asks for per bucket.
	BucketFiles int
	// MaxFiles is the most files a version may hold (free plan: 20,000).
	MaxFiles int
	// PurgePerMinute and PurgeBurst are the purge token bucket (free
	// plan: 5 a minute, burst 25).
	PurgePerMinute float64
	PurgeBurst     float64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Seed seeds the random faults of SetRate, so a test that sets rates
	// meets the same faults run after run.
	Seed uint64
	// SecretsChanged makes deploying any version but the newest fail
	// with error 10220 unless forced, as after a change of the Worker's
	// secrets.
	SecretsChanged bool
}

// Operation names, for Fail, Stall and Count.
const (
	OpSession     = "session"     // POST .../assets-upload-session
	OpUpload      = "upload"      // POST .../workers/assets/upload
	OpScript      = "script"      // PUT .../workers/scripts/{name}
	OpVersions    = "versions"    // GET .../versions
	OpDeployments = "deployments" // GET or POST .../deployments
	OpPurge       = "purge"       // POST /zones/{zone}/purge_cache
)

// MaxFileSize is the largest asset Cloudflare takes (25 MiB).
const MaxFileSize = 25 << 20

// Server is a fake Cloudflare API. Its zero value is not usable: call New.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu          sync.Mutex
	blobs       map[string]blob        // asset hash -> uploaded file
	sessions    map[string]*session    // upload token -> session
	completions map[string]*completion // completion token -> what it completes
	scripts     map[string]*script
	purges      []Purge
	purgeTokens float64
	purgeAt     time.Time
	faults      []*fault
	counts      map[string]int
	injected    map[string]int
	inFlight    map[string]int
	maxInFlight map[string]int
	delays      map[string]time.Duration
	rates       map[string]FaultRate
	rng         *rand.Rand
	uploaded    Uploaded
}

// Uploaded totals the files the fake has taken through bucket uploads.
type Uploaded struct {
	Files int   // files uploaded (each hash once)
	Bytes int64 // their decoded size
}

type fault struct {
	op     string
	skip   int // requests to let through first
	n      int
	status int  // answer with this status...
	stall  bool // ...or hold the request until the client gives up...
	lose   bool // ...or do what it asks, then drop the connection unanswered (or answer status)

	stallFor time.Duration // hold the request this long, then serve it
}

// randomFault draws the fault r makes the next request meet, or nil. The
// caller holds s.mu.
func (s *Server) randomFault(r FaultRate) *fault {
	switch x := s.rng.Float64(); {
	case x < r.Lose:
		return &fault{lose: true, status: r.LoseStatus}
	case x < r.Lose+r.Stall && r.StallFor > 0:
		return &fault{stallFor: r.StallFor}
	case x < r.Lose+r.Stall:
		return &fault{stall: true}
	}
	return nil
}

// New returns a fake with the given options.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.Account == "" {
		opts.Account = "acct"
	}
	if opts.Zone == "" {
		opts.Zone = "zone"
	}
	if opts.UploadTokenTTL == 0 {
		opts.UploadTokenTTL = time.Hour
	}
	if opts.BucketFiles == 0 {
		opts.BucketFiles = 50
	}
	if opts.MaxFiles == 0 {
		opts.MaxFiles = 20000
	}
	if opts.PurgePerMinute == 0 {
		opts.PurgePerMinute = 5
	}
	if opts.PurgeBurst == 0 {
		opts.PurgeBurst = 25
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:        opts,
		blobs:       map[string]blob{},
		sessions:    map[string]*session{},
		completions: map[string]*completion{},
		scripts:     map[string]*script{},
		counts:      map[string]int{},
		injected:    map[string]int{},
		inFlight:    map[string]int{},
		maxInFlight: map[string]int{},
		delays:      map[string]time.Duration{},
		rates:       map[string]FaultRate{},
		rng:         rand.New(rand.NewPCG(opts.Seed, 0x5eed)),
		purgeTokens: opts.PurgeBurst,
		purgeAt:     opts.Now(),
	}
	acct := "/client/v4/accounts/" + opts.Account
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+acct+"/workers/scripts/{script}/assets-upload-session", s.api(OpSession, s.newSession))
	s.mux.HandleFunc("POST "+acct+"/workers/assets/upload", s.op(OpUpload, s.upload))
	s.mux.HandleFunc("PUT "+acct+"/workers/scripts/{script}", s.api(OpScript, s.putScript))
	s.mux.HandleFunc("GET "+acct+"/workers/scripts/{script}/versions", s.api(OpVersions, s.listVersions))
	s.mux.HandleFunc("GET "+acct+"/workers/scripts/{script}/deployments", s.api(OpDeployments, s.listDeployments))
	s.mux.HandleFunc("POST "+acct+"/workers/scripts/{script}/deployments", s.api(OpDeployments, s.newDeployment))
	s.mux.HandleFunc("POST /client/v4/zones/"+opts.Zone+"/purge_cache", s.api(OpPurge, s.purge))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, 7003, fmt.Sprintf("no route for %s %s (wrong account or zone ID?)", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP serves the API under /client/v4/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Fail makes the next n requests of op answer status (a 5xx, say) without
// doing anything; a 429 says Retry-After: 1.
func (s *Server) Fail(op string, n, status int) { s.FailAfter(op, 0, n, status) }

// FailAfter lets skip requests of op through, then makes the next n
// answer status.
func (s *Server) FailAfter(op string, skip, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, skip: skip, n: n, status: status})
}

// Stall makes the next n requests of op hang, doing nothing, until the
// client gives up on them.
func (s *Server) Stall(op string, n int) { s.StallAfter(op, 0, n) }

// StallAfter lets skip requests of op through, then makes the next n hang.
func (s *Server) StallAfter(op string, skip, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, skip: skip, n: n, stall: true})
}

// Lose makes the next n requests of op do what they ask, then drop the
// connection without an answer: the client cannot know it landed.
func (s *Server) Lose(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, n: n, lose: true})
}

// FaultRate is the share of an operation's requests that meet a fault,
// drawn at random from Options.Seed (after the counted faults of Fail,
// Stall and Lose).
type FaultRate struct {
	// Lose is the share whose answer is lost after the work is done: the
	// request does what it asks, then the client gets LoseStatus (a 500,
	// say), or, when LoseStatus is 0, a dropped connection.
	Lose       float64
	LoseStatus int
	// Stall is the share held StallFor before they go on (a slow network,
	// a busy API); a StallFor of 0 holds them until the client gives up.
	Stall    float64
	StallFor time.Duration
}

// SetRate makes a share of op's requests meet faults at random, from now
// on; a zero FaultRate stops them.
func (s *Server) SetRate(op string, r FaultRate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rates[op] = r
}

// Heal drops every injected fault still to come, counted or at a rate.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.rates = map[string]FaultRate{}
}

// Slow makes every request of op take d longer.
func (s *Server) Slow(op string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[op] = d
}

// MaxInFlight is the most requests of op the fake has been answering at
// once.
func (s *Server) MaxInFlight(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight[op]
}

// Count is how many requests of op the fake has answered, faults included.
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// Injected is how many requests of op have met an injected fault.
func (s *Server) Injected(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injected[op]
}

// Uploads totals what bucket uploads brought.
func (s *Server) Uploads() Uploaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploaded
}

// op wraps a handler with counting and fault injection.
func (s *Server) op(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[name]++
		s.inFlight[name]++
		s.maxInFlight[name] = max(s.maxInFlight[name], s.inFlight[name])
		delay := s.delays[name]
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight[name]--
			s.mu.Unlock()
		}()
		time.Sleep(delay)
		s.mu.Lock()
		var f *fault
		for _, x := range s.faults {
			if x.op != name || x.n == 0 {
				continue
			}
			if x.skip > 0 {
				x.skip--
			} else {
				x.n--
				f = x
			}
			break
		}
		if r, ok := s.rates[name]; f == nil && ok {
			f = s.randomFault(r)
		}
		if f != nil {
			s.injected[name]++
		}
		s.mu.Unlock()
		switch {
		case f != nil && f.stallFor > 0:
			// Held, then served: what it meets then (an expired upload
			// token, say) is what a slow request meets.
			select {
			case <-r.Context().Done():
				return
			case <-time.After(f.stallFor):
			}
		case f != nil && f.stall:
			// The server notices the client hanging up only once the
			// body is read.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		case f != nil && f.lose && f.status != 0:
			rec := httptest.NewRecorder()
			h(rec, r)
			fail(w, f.status, 10013, "injected fault: the request was done, its answer lost")
			return
		case f != nil && f.lose:
			h(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler) // closes the connection unanswered
		case f != nil:
			if f.status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			fail(w, f.status, 10013, "injected fault")
			return
		}
		h(w, r)
	}
}

// api is op for the calls that take the API token.
func (s *Server) api(name string, h http.HandlerFunc) http.HandlerFunc {
	return s.op(name, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
			fail(w, http.StatusUnauthorized, 10000, "Authentication error")
			return
		}
		if r.Header.Get("Content-Type") == "" && r.Method != http.MethodGet {
			fail(w, http.StatusBadRequest, 10001, "missing Content-Type")
			return
		}
		h(w, r)
	})
}

// envelope is every API answer's shape.
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []apiError  `json:"errors"`
	Messages   []apiError  `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
}

func reply(w http.ResponseWriter, status int, e envelope) {
	if e.Errors == nil {
		e.Errors = []apiError{}
	}
	e.Messages = []apiError{}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

func ok(w http.ResponseWriter, status int, result any) {
	reply(w, status, envelope{Success: true, Result: result})
}

// fail answers an error envelope with the HTTP status given; Cloudflare
// answers some errors with 200 and success:false.
func fail(w http.ResponseWriter, status, code int, msg string) {
	reply(w, status, envelope{Errors: []apiError{{code, msg}}})
}

// newToken is an opaque random token, like a JWT to the client.
func newToken() string {
	var b [24]byte
	_, _ = crand.Read(b[:])
	return "eyJ" + hex.EncodeToString(b[:])
}

// newUUID is a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}
