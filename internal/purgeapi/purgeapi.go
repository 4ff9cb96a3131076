// Package purgeapi owns the purge API's contract: where a purge is
// posted, the JSON body it carries and the bearer-token check. The edge
// cache serves it (edge/cache), the purger sends it (cachepurge) and the
// origin's CMS webhook takes a superset of it (edge/deploy): one
// definition, so the three cannot drift apart.
package purgeapi

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// Path is where a purge is posted.
const Path = manifest.URLPrefix + "purge"

// maxBody is the most of a purge body that is read.
const maxBody = 1 << 20

// Request is the body of a POST to Path. Any combination may be given;
// Soft marks what it names stale (served while revalidating) instead of
// removing it.
type Request struct {
	Tags       []string `json:"tags,omitempty"`
	URLs       []string `json:"urls,omitempty"`     // paths with query, or full URLs
	Prefixes   []string `json:"prefixes,omitempty"` // path prefixes
	Everything bool     `json:"everything,omitempty"`
	Soft       bool     `json:"soft,omitempty"`
}

// Authorize makes r bear token as its bearer token: the sending half of
// Authorized.
func Authorize(r *http.Request, token string) {
	r.Header.Set("Authorization", "Bearer "+token)
}

// Authorized says whether r bears token as its bearer token. No token
// authorizes nothing.
func Authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token != "" && ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// Refuse answers a request that is not Authorized: 401 with msg, and the
// challenge that names the scheme.
func Refuse(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="verge purge"`)
	http.Error(w, msg, http.StatusUnauthorized)
}

// Decode reads a JSON body into v (a *Request, or a body that embeds
// one), reading at most maxBody.
func Decode(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, maxBody)).Decode(v)
}

// Token is the purge API's token: read from file (a secret mounted as a
// file, as verge edge --purge-token-file names it), else, when file is
// "", from VERGE_PURGE_TOKEN.
func Token(file string) (string, error) {
	if file == "" {
		return os.Getenv("VERGE_PURGE_TOKEN"), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--purge-token-file: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("--purge-token-file %s is empty: put the token in it", file)
	}
	return token, nil
}
