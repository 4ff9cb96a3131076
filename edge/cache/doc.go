// Package cache is the edge's HTTP shared cache (RFC 9111) in front of the
// origin's functions, with targeted cache-control fields (RFC 9213), the
// stale extensions (RFC 5861), and purges by tag. Reading the
// Cache-Control directives themselves is internal/httpcache's, which the
// audit shares without linking the cache.
package cache
