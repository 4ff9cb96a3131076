package engine

// This file holds how tags are spelled, and how many a page's Cache-Tag
// header can carry.

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// Tag kinds. A page's tags say what it read (its facts, which part); they
// go into the manifest for editors' purges and into function responses'
// Cache-Tag under fn:. A page's own Cache-Tag names the page (headerTags).
const (
	// SiteTag is carried by every page and function response: it stands for
	// what every output depends on (config, templates, code).
	SiteTag = manifest.SiteTag
	// maxTagLen is the longest tag kept verbatim; longer ones are hashed so
	// they fit every CDN's limit (Cloudflare allows 1,024; Verge keeps 128).
	maxTagLen = 128
)

// MakeTag builds the tag "kind:name": lower-case printable ASCII without
// spaces or commas. A name outside that alphabet, or too long, is replaced
// by a hash of itself so the tag stays valid and distinct.
func MakeTag(kind, name string) string {
	t := kind + ":" + strings.ToLower(name)
	if len(t) <= maxTagLen && validTag(t) {
		return t
	}
	sum := sha256.Sum256([]byte(name))
	return kind + ":#" + hex.EncodeToString(sum[:12])
}

func validTag(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c > '~' || c == ',' {
			return false
		}
	}
	return true
}

// headerTags is what the Cache-Tag header of the page at route carries:
// tags naming the page and the groups it is in (manifest.PageTags), never
// what it read, so that the header stays small however much the page
// read, and a purge reaches the pages whose bytes changed and no other.
// What it read stays in the manifest's Tags, for rebuilds, editors'
// purges and explanations.
func headerTags(route string) []string { return manifest.PageTags(route) }
