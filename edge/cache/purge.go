package cache

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PurgePath is where the proxy takes purge requests.
const PurgePath = "/_verge/purge"

// PurgeRequest is the body of a POST to PurgePath. Any combination may
// be given; Soft marks what it names stale (served while revalidating)
// instead of removing it.
type PurgeRequest struct {
	Tags       []string `json:"tags,omitempty"`
	URLs       []string `json:"urls,omitempty"`     // paths with query, or full URLs
	Prefixes   []string `json:"prefixes,omitempty"` // path prefixes
	Everything bool     `json:"everything,omitempty"`
	Soft       bool     `json:"soft,omitempty"`
}

// PurgeResult says what a purge did.
type PurgeResult struct {
	Entries int  `json:"entries"` // entries found by URL or prefix
	Tags    int  `json:"tags"`
	All     bool `json:"everything"`
}

// SetPurgeToken enables the purge API for requests bearing token.
func (p *Proxy) SetPurgeToken(token string) { p.purgeToken = token }

// servePurge handles POST /_verge/purge: bearer token first, then the
// purge; nothing is purged for a request that is refused.
func (p *Proxy) servePurge(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "purge with POST", http.StatusMethodNotAllowed)
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if p.purgeToken == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(p.purgeToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="verge purge"`)
		http.Error(w, "a purge needs the bearer token (verge edge --purge-token-file, or VERGE_PURGE_TOKEN)", http.StatusUnauthorized)
		return
	}
	var req PurgeRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "purge body: "+err.Error(), http.StatusBadRequest)
		return
	}
	at := p.now()
	var res PurgeResult
	if req.Everything {
		p.store.PurgeAll(req.Soft, at)
		res.All = true
	}
	if len(req.Tags) > 0 {
		tags := make([]string, len(req.Tags))
		for i, t := range req.Tags {
			tags[i] = strings.ToLower(strings.TrimSpace(t))
		}
		p.store.PurgeTags(tags, req.Soft, at)
		res.Tags = len(tags)
	}
	var keys, prefixes []string
	for _, u := range req.URLs {
		keys = append(keys, key(requestURI(u)))
	}
	for _, pre := range req.Prefixes {
		prefixes = append(prefixes, key(requestURI(pre)))
	}
	if len(keys)+len(prefixes) > 0 {
		res.Entries = p.store.PurgeKeys(keys, prefixes, req.Soft)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(res)
}

// requestURI is the path and query of a full URL or of a path.
func requestURI(s string) string {
	if u, err := url.Parse(s); err == nil && (u.Scheme != "" || u.Host != "") {
		return u.RequestURI()
	}
	if !strings.HasPrefix(s, "/") {
		return "/" + s
	}
	return s
}
