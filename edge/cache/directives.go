package cache

import "github.com/vergehq/verge/internal/httpcache"

// Directives are the cache directives of one field, read by
// internal/httpcache, which the audit shares.
type Directives = httpcache.Directives

// Seconds is a delta-seconds directive value.
type Seconds = httpcache.Seconds
