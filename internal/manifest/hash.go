package manifest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path"
	"strings"

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
	h := blake3.New()
	enc := base64.NewEncoder(base64.StdEncoding, h)
	_, _ = enc.Write(data)
	_ = enc.Close()
	_, _ = h.Write([]byte(strings.TrimPrefix(path.Ext(urlPath), ".")))
	return hex.EncodeToString(h.Sum(nil))[:32]
}
