package cffake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Purge is a purge the fake accepted.
type Purge struct {
	Tags       []string `json:"tags,omitempty"`
	Files      []string `json:"files,omitempty"`
	Prefixes   []string `json:"prefixes,omitempty"`
	Hosts      []string `json:"hosts,omitempty"`
	Everything bool     `json:"purge_everything,omitempty"`
}

// Purge limits of the zone purge API.
const (
	maxPurgeTags  = 100
	maxTagLen     = 1024
	maxPurgeFiles = 30
)

// Purges lists the purges the fake accepted, oldest first.
func (s *Server) Purges() []Purge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Purge(nil), s.purges...)
}

// purge takes a zone purge: exactly one kind (tags, files, prefixes,
// hosts or everything) within the limits, at most as often as the rate
// limit allows. Bad tags are refused with HTTP 200 and success:false, as
// Cloudflare does.
func (s *Server) purge(w http.ResponseWriter, r *http.Request) {
	var p Purge
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		fail(w, http.StatusBadRequest, 1012, "request body is not valid JSON: "+err.Error())
		return
	}
	kinds := 0
	for _, n := range []int{len(p.Tags), len(p.Files), len(p.Prefixes), len(p.Hosts)} {
		if n > 0 {
			kinds++
		}
	}
	if p.Everything {
		kinds++
	}
	if kinds != 1 {
		fail(w, http.StatusBadRequest, 1012, "a purge takes exactly one of tags, files, prefixes, hosts, purge_everything")
		return
	}
	if wait := s.takePurgeToken(); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		fail(w, http.StatusTooManyRequests, 971, "rate limited: too many purge requests")
		return
	}
	if len(p.Tags) > maxPurgeTags {
		fail(w, http.StatusOK, 1016, fmt.Sprintf("%d tags: a purge takes at most %d", len(p.Tags), maxPurgeTags))
		return
	}
	for _, t := range p.Tags {
		if len(t) > maxTagLen {
			fail(w, http.StatusOK, 1100, fmt.Sprintf("tag %.40q... is %d characters, the most is %d", t, len(t), maxTagLen))
			return
		}
		for i := 0; i < len(t); i++ {
			if t[i] <= ' ' || t[i] > '~' {
				fail(w, http.StatusOK, 1315, fmt.Sprintf("tag %q: only printable ASCII without spaces", t))
				return
			}
		}
	}
	if len(p.Files) > maxPurgeFiles {
		fail(w, http.StatusOK, 1016, fmt.Sprintf("%d files: a purge takes at most %d", len(p.Files), maxPurgeFiles))
		return
	}
	for _, f := range p.Files {
		if u, err := url.Parse(f); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(w, http.StatusOK, 1012, fmt.Sprintf("file %q is not an absolute http(s) URL", f))
			return
		}
	}
	s.mu.Lock()
	s.purges = append(s.purges, p)
	s.mu.Unlock()
	ok(w, http.StatusOK, map[string]any{"id": newUUID()})
}

// takePurgeToken takes a token from the purge bucket, or says how long
// until one is there.
func (s *Server) takePurgeToken() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	rate := s.opts.PurgePerMinute / 60 // tokens a second
	s.purgeTokens = min(s.opts.PurgeBurst, s.purgeTokens+now.Sub(s.purgeAt).Seconds()*rate)
	s.purgeAt = now
	if s.purgeTokens >= 1 {
		s.purgeTokens--
		return 0
	}
	return time.Duration((1 - s.purgeTokens) / rate * float64(time.Second))
}
