package cache

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/vergehq/verge/internal/purgeapi"
)

// PurgeResult says what a purge did.
type PurgeResult struct {
	Entries int  `json:"entries"` // entries found by URL or prefix
	Tags    int  `json:"tags"`
	All     bool `json:"everything"`
}

// SetPurgeToken enables the purge API for requests bearing token.
func (p *Proxy) SetPurgeToken(token string) { p.purgeToken = token }

// servePurge handles POST purgeapi.Path: bearer token first, then the
// purge; nothing is purged for a request that is refused.
func (p *Proxy) servePurge(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "purge with POST", http.StatusMethodNotAllowed)
		return
	}
	if !purgeapi.Authorized(r, p.purgeToken) {
		purgeapi.Refuse(w, "a purge needs the bearer token (verge edge --purge-token-file, or VERGE_PURGE_TOKEN)")
		return
	}
	var req purgeapi.Request
	if err := purgeapi.Decode(r.Body, &req); err != nil {
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
