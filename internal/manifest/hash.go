package manifest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path"
	"strings"
	"sync"

	"github.com/zeebo/blake3"
)

// SHA256 is the hex SHA-256 of data.
func SHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// AssetHash is the hash Cloudflare Workers Static Assets keys files by
// (what wrangler computes): the first 32 hex digits of
// blake3(base64(data) + extension without the dot). Using the same scheme
// lets uploads dedupe with files wrangler already uploaded.
func AssetHash(urlPath string, data []byte) string {
	ext := strings.TrimPrefix(path.Ext(urlPath), ".")
	// One allocation and one-shot hashing: this runs for every page of a
	// build, and streaming base64 through an encoder into the hasher cost
	// three times as much.
	n := base64.StdEncoding.EncodedLen(len(data)) + len(ext)
	bp := hashBufs.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	buf := (*bp)[:n]
	base64.StdEncoding.Encode(buf, data)
	copy(buf[len(buf)-len(ext):], ext)
	sum := blake3.Sum256(buf)
	hashBufs.Put(bp)
	return hex.EncodeToString(sum[:16])
}

// hashBufs holds AssetHash's buffers: a build hashes every page, and a
// buffer each was a tenth of what it allocated.
var hashBufs = sync.Pool{New: func() any { return new([]byte) }}
