package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/purgeapi"
)

// WebhookPath is where the origin takes purges from a CMS: the purge
// API's own path, so a CMS posts to the origin as to an edge.
const WebhookPath = purgeapi.Path

// Webhook takes purges from a CMS, authenticated by a bearer token, and
// puts them through the site's outboxes like verge purge: on disk before
// the answer, sent right after, retried until sent (see Run).
type Webhook struct {
	site  *Site
	token string
	log   io.Writer
	kick  chan struct{} // asks the sender to flush now
}

// NewWebhook is the webhook of site, for requests bearing token, logging
// what its sender does to log.
func NewWebhook(site *Site, token string, log io.Writer) *Webhook {
	return &Webhook{site: site, token: token, log: log, kick: make(chan struct{}, 1)}
}

// webhookRequest is the body a CMS posts: the purge API's, and content or
// data files (as verge purge --content takes them).
type webhookRequest struct {
	purgeapi.Request
	Content []string `json:"content"`
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !purgeapi.Authorized(r, h.token) {
		purgeapi.Refuse(w, "purge: missing or wrong bearer token")
		return
	}
	var req webhookRequest
	if err := purgeapi.Decode(r.Body, &req); err != nil {
		http.Error(w, `purge: the body must be JSON: {"tags": [...], "urls": [...], "content": ["content/posts/x.md"], "everything": false}`, http.StatusBadRequest)
		return
	}
	if len(req.Prefixes) > 0 {
		// The outbox plans by tag and URL; a prefix purge it cannot carry
		// must not be answered 202 and dropped.
		http.Error(w, "purge: the webhook purges by tags, urls, content or everything, not by prefixes", http.StatusBadRequest)
		return
	}
	targets, err := h.site.PurgeTargets()
	if err != nil || len(targets) == 0 {
		if err == nil {
			err = ErrNoPurgeTargets
		}
		http.Error(w, "purge: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var said strings.Builder
	if len(req.Tags) > 0 {
		ep := h.site.ExpandTags(&said, req.Tags)
		req.Tags, req.URLs = ep.Tags, append(req.URLs, ep.URLs...)
	}
	if len(req.Content) > 0 {
		ep, err := h.site.ContentTags(&said, req.Content)
		if err != nil {
			http.Error(w, "purge: "+err.Error(), http.StatusBadRequest)
			return
		}
		req.Tags, req.URLs = append(req.Tags, ep.Tags...), append(req.URLs, ep.URLs...)
	}
	p := cachepurge.Purge{Tags: req.Tags, URLs: req.URLs, Everything: req.Everything, Soft: req.Soft}
	if msg := checkPurge(p); msg != "" {
		http.Error(w, "purge: "+msg, http.StatusBadRequest)
		return
	}
	queued, err := Queue(targets, p)
	if err != nil {
		// Not the sender's fault (a full disk, say): a 5xx, so it retries.
		http.Error(w, "purge: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	select {
	case h.kick <- struct{}{}:
	default: // a flush is due already
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	var lines []string
	if s := strings.TrimSpace(said.String()); s != "" {
		lines = strings.Split(s, "\n")
	}
	// "queued" is the first purge as queued (its ID and queue time, for
	// verge purge --status); "purges" is every one, by target: a large
	// purge is split into requests, each target has its own outbox.
	ans := webhookAnswer{Purges: queued, Content: lines}
	if len(queued) > 0 {
		ans.Queued = queued[0].Purge
	}
	_ = json.NewEncoder(w).Encode(ans)
}

// webhookAnswer is the body of the webhook's 202.
type webhookAnswer struct {
	Queued  cachepurge.Purge `json:"queued"`
	Purges  []QueuedPurge    `json:"purges"`
	Content []string         `json:"content"`
}

// Run flushes the outboxes when a purge came in, and every interval, so
// a purge a target refused goes out once it is due, without anyone
// asking again. It returns when ctx is done.
func (h *Webhook) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-t.C:
		}
		targets, err := h.site.PurgeTargets()
		if err != nil {
			fmt.Fprintf(h.log, "purge: %v\n", err)
			continue
		}
		Send(ctx, h.log, targets, DefaultPurgeWait, false)
	}
}

// checkPurge says what is wrong with a purge a webhook asked for, or "".
func checkPurge(p cachepurge.Purge) string {
	if !p.Everything && len(p.Tags) == 0 && len(p.URLs) == 0 {
		return "nothing to purge: give tags, urls, content or everything"
	}
	for _, t := range p.Tags {
		if msg := cachepurge.ValidTag(t); msg != "" {
			return msg
		}
	}
	for _, u := range p.URLs {
		if msg := cachepurge.ValidURL(u); msg != "" {
			return msg
		}
	}
	return ""
}

// Front is what the origin serves when it takes purges: the webhook at
// WebhookPath, and every other request through to the site program at
// addr (host:port). While the program is down (it died under a request
// and is restarting) the answer is a 503 with Retry-After, never a
// refused connection, so a CDN's stale-if-error covers it.
func (h *Webhook) Front(addr string) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "503 the site's functions are restarting: try again in a moment", http.StatusServiceUnavailable)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+WebhookPath, h)
	mux.Handle("/", proxy)
	return mux
}
