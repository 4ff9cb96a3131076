package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vergehq/verge/cachepurge"
)

// webhookPath is where the origin takes purges from a CMS.
const webhookPath = "/_verge/purge"

// purgeWebhook takes purges from a CMS webhook, authenticated by a bearer
// token, and puts them through the site's outboxes like verge purge: on
// disk before the answer, sent right after, retried until sent.
type purgeWebhook struct {
	dir   string
	token string
	log   io.Writer
	kick  chan struct{} // asks the sender to flush now
}

// webhookRequest is the body a CMS posts: tags, URLs, content or data
// files (as verge purge --content takes them), or everything.
type webhookRequest struct {
	Tags       []string `json:"tags"`
	URLs       []string `json:"urls"`
	Content    []string `json:"content"`
	Everything bool     `json:"everything"`
	Soft       bool     `json:"soft"`
}

func (h *purgeWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="verge purge"`)
		http.Error(w, "purge: missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	var req webhookRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, `purge: the body must be JSON: {"tags": [...], "urls": [...], "content": ["content/posts/x.md"], "everything": false}`, http.StatusBadRequest)
		return
	}
	targets, err := purgeTargets(h.dir)
	if err != nil || len(targets) == 0 {
		if err == nil {
			err = errNoPurgeTargets
		}
		http.Error(w, "purge: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var said strings.Builder
	if len(req.Content) > 0 {
		tags, err := contentTags(&said, h.dir, req.Content)
		if err != nil {
			http.Error(w, "purge: "+err.Error(), http.StatusBadRequest)
			return
		}
		req.Tags = append(req.Tags, tags...)
	}
	p := cachepurge.Purge{Tags: req.Tags, URLs: req.URLs, Everything: req.Everything, Soft: req.Soft}
	if msg := checkPurge(p); msg != "" {
		http.Error(w, "purge: "+msg, http.StatusBadRequest)
		return
	}
	queued, err := queue(targets, p)
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
	Purges  []queuedPurge    `json:"purges"`
	Content []string         `json:"content"`
}

// send flushes the outboxes when kicked, and every interval, so a purge
// a target refused goes out once it is due, without anyone asking again.
func (h *purgeWebhook) send(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-t.C:
		}
		targets, err := purgeTargets(h.dir)
		if err != nil {
			fmt.Fprintf(h.log, "purge: %v\n", err)
			continue
		}
		sendPurges(ctx, h.log, targets, purgeWait, false)
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
