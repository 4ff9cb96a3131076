package httpcache

import "strings"

// Compressible reports whether a content type gains from compression:
// the edge sends such files br or gzip to clients that accept it, and the
// audit grades text the edge would send uncompressed.
func Compressible(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	switch {
	case strings.HasPrefix(ct, "text/"),
		strings.HasSuffix(ct, "+json"), strings.HasSuffix(ct, "+xml"),
		ct == "application/json", ct == "application/javascript", ct == "application/xml",
		ct == "image/svg+xml", ct == "application/manifest+json", ct == "application/wasm":
		return true
	}
	return false
}
