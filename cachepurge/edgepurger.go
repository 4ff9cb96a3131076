package cachepurge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/vergehq/verge/internal/purgeapi"
)

// EdgePurger sends purges to Verge edges' purge API (POST
// purgeapi.Path, as `verge edge --origin` and `--functions` serve it):
// each edge in turn, the purge done only when every edge has taken it.
type EdgePurger struct {
	Edges  []string // base URLs, e.g. "http://127.0.0.1:8080"
	Token  string   // the bearer token the edges expect
	Client *http.Client
}

// Purge sends p to every edge. A 429 comes back as *RetryAfter; a
// refused token as an error naming the edge.
func (e *EdgePurger) Purge(ctx context.Context, p Purge) error {
	body, err := json.Marshal(purgeapi.Request{Tags: p.Tags, URLs: p.URLs, Everything: p.Everything, Soft: p.Soft})
	if err != nil {
		return err
	}
	client := e.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	for _, edge := range e.Edges {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, edge+purgeapi.Path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		purgeapi.Authorize(req, e.Token)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("purge at %s: %w", edge, err)
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			continue
		case resp.StatusCode == http.StatusTooManyRequests:
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			return &RetryAfter{Wait: time.Duration(wait) * time.Second, Err: fmt.Errorf("purge at %s: 429", edge)}
		case resp.StatusCode == http.StatusBadRequest:
			return &Permanent{Err: fmt.Errorf("purge at %s: the edge refused it: %s", edge, bytes.TrimSpace(msg))}
		case resp.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("purge at %s: the edge refused the token (set it with VERGE_PURGE_TOKEN, as the edge's --purge-token-file has it)", edge)
		default:
			return fmt.Errorf("purge at %s: %s: %s", edge, resp.Status, bytes.TrimSpace(msg))
		}
	}
	return nil
}
