package cffake

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/zeebo/blake3"
)

// blob is an uploaded asset.
type blob struct {
	data        []byte
	contentType string
}

// AssetEntry is one file of a Workers Static Assets manifest.
type AssetEntry struct {
	Hash string `json:"hash"`
	Size int64  `json:"size"`
}

// session is an open upload session: the manifest it was opened with and
// the hashes still to come.
type session struct {
	manifest map[string]AssetEntry
	paths    map[string]string // hash -> a path with it
	missing  map[string]bool
	expires  time.Time
}

// completion is what a completion token stands for: a manifest whose
// every file Cloudflare holds.
type completion struct {
	manifest map[string]AssetEntry
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newSession opens an upload session: it answers the buckets of hashes
// it lacks, or, when it lacks none, a completion token at once.
func (s *Server) newSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Manifest map[string]AssetEntry `json:"manifest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Manifest == nil {
		fail(w, http.StatusBadRequest, 10021, fmt.Sprintf("body must be {\"manifest\": {...}}: %v", err))
		return
	}
	if len(body.Manifest) > s.opts.MaxFiles {
		fail(w, http.StatusBadRequest, 10237, fmt.Sprintf("too many assets: %d, the most is %d", len(body.Manifest), s.opts.MaxFiles))
		return
	}
	for p, e := range body.Manifest {
		switch {
		case !strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, "//"):
			fail(w, http.StatusBadRequest, 10021, fmt.Sprintf("asset path %q: want a path with a leading / and forward slashes", p))
			return
		case !hashRE.MatchString(e.Hash):
			fail(w, http.StatusBadRequest, 10021, fmt.Sprintf("asset %s: hash %q is not 32 lower-case hex digits", p, e.Hash))
			return
		case e.Size < 0 || e.Size > MaxFileSize:
			fail(w, http.StatusBadRequest, 10021, fmt.Sprintf("asset %s: size %d is over 25 MiB", p, e.Size))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	missing := map[string]bool{}
	paths := make(map[string]string, len(body.Manifest))
	for p, e := range body.Manifest {
		paths[e.Hash] = p
		if _, ok := s.blobs[e.Hash]; !ok {
			missing[e.Hash] = true
		}
	}
	if len(missing) == 0 {
		tok := newToken()
		s.completions[tok] = &completion{manifest: body.Manifest}
		ok(w, http.StatusOK, map[string]any{"jwt": tok, "buckets": [][]string{}})
		return
	}
	hashes := make([]string, 0, len(missing))
	for h := range missing {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	var buckets [][]string
	for len(hashes) > 0 {
		n := min(s.opts.BucketFiles, len(hashes))
		buckets = append(buckets, hashes[:n])
		hashes = hashes[n:]
	}
	tok := newToken()
	s.sessions[tok] = &session{manifest: body.Manifest, paths: paths, missing: missing, expires: s.opts.Now().Add(s.opts.UploadTokenTTL)}
	ok(w, http.StatusOK, map[string]any{"jwt": tok, "buckets": buckets})
}

// upload takes one bucket: multipart, one part per hash, each the base64
// of the file with the file's MIME type. It answers 202, or 201 with the
// completion token when the session has every file.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("base64") != "true" {
		fail(w, http.StatusBadRequest, 10021, "query must say base64=true")
		return
	}
	if r.Header.Get("X-Auth-Key") != "" || r.Header.Get("X-Auth-Email") != "" {
		fail(w, http.StatusBadRequest, 10001, "asset uploads take the upload token only: drop X-Auth-Key and X-Auth-Email")
		return
	}
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	sess := s.sessions[tok]
	s.mu.Unlock()
	switch {
	case !found || sess == nil:
		fail(w, http.StatusUnauthorized, 10000, "Authentication error: asset uploads take the upload session's token, not the API token")
		return
	case s.opts.Now().After(sess.expires):
		fail(w, http.StatusUnauthorized, 10000, "Authentication error: the upload token has expired")
		return
	}
	got := map[string]blob{}
	if !eachPart(w, r, func(part *multipart.Part) string {
		b, msg := s.readPart(sess, part)
		got[part.FormName()] = b
		return msg
	}) {
		return
	}
	if len(got) == 0 {
		fail(w, http.StatusBadRequest, 10021, "no files in the bucket")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, b := range got {
		if _, had := s.blobs[h]; !had {
			s.blobs[h] = b
			s.uploaded.Files++
			s.uploaded.Bytes += int64(len(b.data))
		}
		delete(sess.missing, h)
	}
	if len(sess.missing) > 0 {
		ok(w, http.StatusAccepted, map[string]any{})
		return
	}
	done := newToken()
	s.completions[done] = &completion{manifest: sess.manifest}
	ok(w, http.StatusCreated, map[string]any{"jwt": done})
}

// readPart checks one uploaded file against its session: named by its
// hash, with a MIME type, base64 content that hashes (with the extension
// of a path the manifest gives it) to that name.
func (s *Server) readPart(sess *session, part *multipart.Part) (blob, string) {
	h := part.FormName()
	if part.FileName() != h {
		return blob{}, fmt.Sprintf("part %q: the filename must be the hash too, got %q", h, part.FileName())
	}
	path := sess.paths[h]
	if path == "" {
		return blob{}, fmt.Sprintf("part %q: not a hash of this session's manifest", h)
	}
	ct := part.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "" || err != nil:
		return blob{}, fmt.Sprintf("part %q (%s): no Content-Type: the file would be served without a MIME type", h, path)
	case strings.HasPrefix(mt, "text/") && !strings.EqualFold(params["charset"], "utf-8"):
		return blob{}, fmt.Sprintf("part %q (%s): text type %q without charset=utf-8", h, path, ct)
	}
	enc, err := io.ReadAll(io.LimitReader(part, MaxFileSize*2))
	if err != nil {
		return blob{}, err.Error()
	}
	data, err := base64.StdEncoding.DecodeString(string(enc))
	if err != nil {
		return blob{}, fmt.Sprintf("part %q (%s): not base64: %v", h, path, err)
	}
	if got := assetHash(path, data); got != h {
		return blob{}, fmt.Sprintf("part %q (%s): the content hashes to %s", h, path, got)
	}
	return blob{data: data, contentType: ct}, ""
}

// assetHash is Cloudflare's asset hash, written out here rather than
// taken from Verge's builder so that the fake checks it independently:
// the first 32 hex digits of blake3(base64(data) + extension).
func assetHash(p string, data []byte) string {
	ext := strings.TrimPrefix(path.Ext(p), ".")
	sum := blake3.Sum256([]byte(base64.StdEncoding.EncodeToString(data) + ext))
	return hex.EncodeToString(sum[:16])
}

// eachPart calls fn for each part of a multipart/form-data request; a
// message from fn, or a body that is not multipart, is answered as a 400
// and eachPart says false.
func eachPart(w http.ResponseWriter, r *http.Request, fn func(*multipart.Part) string) bool {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		fail(w, http.StatusBadRequest, 10021, "the body must be multipart/form-data")
		return false
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return true
		}
		if err != nil {
			fail(w, http.StatusBadRequest, 10021, "bad multipart body: "+err.Error())
			return false
		}
		if msg := fn(part); msg != "" {
			fail(w, http.StatusBadRequest, 10021, msg)
			return false
		}
	}
}
