package cachepurge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/cache"
	"github.com/cloudflare/cloudflare-go/v7/option"

	"github.com/vergehq/verge/internal/cfapi"
)

// Cloudflare's purge limits.
const (
	// CloudflareTagsPerRequest is the most tags one purge request takes.
	CloudflareTagsPerRequest = 100
	// CloudflareFilesPerRequest is the most URLs one purge request takes.
	CloudflareFilesPerRequest = 30
	// maxTagLen is the longest tag Cloudflare takes.
	maxTagLen = 1024
)

// Cloudflare's purge error codes for a request that is itself wrong.
const (
	codeBadRequest      = 1012 // malformed purge
	codeTooMany         = 1016 // too many tags or files
	codeTagTooLong      = 1100
	codeTagNotPrintable = 1315
)

// CloudflareRate is the purge rate limit of Cloudflare's free plan: 5
// requests a minute, in bursts of up to 25 (paid plans allow more).
var CloudflareRate = Rate{PerMinute: 5, Burst: 25}

// CloudflarePurger purges a Cloudflare zone's cache by tag, by URL, or
// everything. The zone cache holds what passes through Cloudflare from an
// origin: the site's function responses, reached by their Cache-Tag.
// Cloudflare has no soft purge: a soft purge is sent as a purge.
type CloudflarePurger struct {
	zone    string
	site    string // the site's base URL, to make URL paths absolute
	service *cache.CacheService
}

// NewCloudflarePurger returns a purger for zone with the API token
// token; api is the API's base URL (empty: Cloudflare's), site the base
// URL the site is served at (URL purges need absolute URLs).
func NewCloudflarePurger(zone, token, api, site string) (*CloudflarePurger, error) {
	if zone == "" || token == "" {
		return nil, fmt.Errorf("cloudflare purge: need the zone ([cloudflare] zone_id in verge.toml) and an API token (CLOUDFLARE_API_TOKEN)")
	}
	return &CloudflarePurger{zone: zone, site: strings.TrimSuffix(site, "/"),
		service: cache.NewCacheService(cfapi.Options(token, api, 30*time.Second)...)}, nil
}

// Requests is how many API requests p takes.
func (c *CloudflarePurger) Requests(p Purge) int {
	if p.Everything {
		return 1
	}
	return ceilDiv(len(p.Tags), CloudflareTagsPerRequest) + ceilDiv(len(p.URLs), CloudflareFilesPerRequest)
}

// Purge sends p: one request per 100 tags and per 30 URLs, or one for
// everything. A 429 comes back as *RetryAfter.
func (c *CloudflarePurger) Purge(ctx context.Context, p Purge) error {
	if p.Everything {
		var body cache.CachePurgeParamsBodyCachePurgeEverything
		body.PurgeEverything.Value, body.PurgeEverything.Present = true, true
		return c.send(ctx, body, "everything")
	}
	for tags := range slices.Chunk(p.Tags, CloudflareTagsPerRequest) {
		var body cache.CachePurgeParamsBodyCachePurgeFlexPurgeByTags
		body.Tags.Value, body.Tags.Present = tags, true
		if err := c.send(ctx, body, fmt.Sprintf("%d tags", len(tags))); err != nil {
			return err
		}
	}
	for urls := range slices.Chunk(p.URLs, CloudflareFilesPerRequest) {
		var body cache.CachePurgeParamsBodyCachePurgeSingleFile
		abs := make([]string, len(urls))
		for i, u := range urls {
			abs[i] = c.absolute(u)
		}
		body.Files.Value, body.Files.Present = abs, true
		if err := c.send(ctx, body, fmt.Sprintf("%d URLs", len(urls))); err != nil {
			return err
		}
	}
	return nil
}

func (c *CloudflarePurger) send(ctx context.Context, body cache.CachePurgeParamsBodyUnion, what string) error {
	var params cache.CachePurgeParams
	params.ZoneID.Value, params.ZoneID.Present = c.zone, true
	params.Body = body
	err := cfapi.Call(func(opts ...option.RequestOption) error {
		_, err := c.service.Purge(ctx, params, opts...)
		return err
	}, nil)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("cloudflare purge of %s: %w", what, err)
	if e, ok := cfapi.AsError(err); ok {
		switch {
		case e.Status == http.StatusTooManyRequests:
			return &RetryAfter{Wait: e.RetryAfter, Err: err}
		case e.Has(codeTagTooLong), e.Has(codeTagNotPrintable), e.Has(codeTooMany), e.Has(codeBadRequest):
			// The request itself is wrong: no retry helps.
			return &Permanent{Err: err}
		}
		// Anything else (a token, a zone ID, an outage) can be fixed or
		// pass: try again.
	}
	return err
}

// absolute makes a URL path absolute on the site's base URL.
func (c *CloudflarePurger) absolute(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.IsAbs() {
		return u
	}
	return c.site + "/" + strings.TrimPrefix(u, "/")
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
