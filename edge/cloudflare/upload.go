package cloudflare

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sync"

	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/workers"

	"github.com/vergehq/verge/internal/cfapi"
	"github.com/vergehq/verge/internal/human"
)

// Progress is how far an upload is.
type Progress struct {
	Files, TotalFiles int   // files uploaded, of those Cloudflare asked for
	Bytes, TotalBytes int64 // their sizes
}

// uploadStats is what the upload did.
type uploadStats struct {
	Progress
	Sessions int             // upload sessions opened
	Retries  int             // bucket uploads tried again
	Dropped  map[string]bool // hashes of kept files Cloudflare lacked, left out
	Sent     map[string]bool // hashes uploaded
}

// add counts another upload's work in st.
func (st *uploadStats) add(o uploadStats) {
	st.Files += o.Files
	st.Bytes += o.Bytes
	st.Sessions += o.Sessions
	st.Retries += o.Retries
	if st.Sent == nil {
		st.Sent = map[string]bool{}
	}
	maps.Copy(st.Sent, o.Sent)
}

// errExpired says the upload token stopped working: open a new session.
var errExpired = errors.New("the upload token expired")

// upload makes Cloudflare hold every file of b and returns the completion
// token. It opens a session with the manifest; Cloudflare answers the
// buckets of files it lacks. When the token expires mid-way (a stalled
// upload outlives it), a new session asks again, and Cloudflare lists
// only what is still missing: an interrupted deploy resumes the same way.
// It goes on as long as sessions land files, and gives up on the second
// session in a row that lands none (one stalled request can cost one
// session; two in a row say the uploads cannot beat the token) or when
// ctx ends (the caller's deadline), saying how far it got.
func (t *Target) upload(ctx context.Context, b *bundle, progress func(Progress)) (string, uploadStats, error) {
	var st uploadStats
	files := b.byHash()
	idle := 0 // sessions in a row that landed nothing
	for {
		st.Sessions++
		landed := st.Files
		jwt, buckets, err := t.openSession(ctx, b)
		if err != nil {
			return "", st, st.stopped(err)
		}
		if gone := b.unsupplied(buckets, files); len(gone) > 0 {
			// Kept files of earlier builds Cloudflare no longer has (or
			// never had, under another account): drop them and ask again.
			if b.drop(gone) == 0 {
				return "", st, fmt.Errorf("upload: Cloudflare asked for %d files no file of this build has", len(gone))
			}
			files = b.byHash() // drop moved the files the map points at
			if st.Dropped == nil {
				st.Dropped = map[string]bool{}
			}
			maps.Copy(st.Dropped, gone)
			continue
		}
		if len(buckets) == 0 {
			return jwt, st, nil // Cloudflare has every file: jwt completes the set
		}
		if st.TotalFiles == 0 {
			for _, bk := range buckets {
				for _, h := range bk {
					st.TotalFiles++
					if f := files[h]; f != nil {
						st.TotalBytes += f.Size
					}
				}
			}
		}
		done, err := t.uploadBuckets(ctx, jwt, buckets, files, &st, progress)
		switch {
		case errors.Is(err, errExpired) && st.Files == landed && idle > 0:
			return "", st, st.stopped(fmt.Errorf("%d upload sessions in a row landed no file before their upload token expired: the uploads are too slow for the token's lifetime", idle+1))
		case errors.Is(err, errExpired):
			if st.Files == landed {
				idle++
			} else {
				idle = 0
			}
			continue // a new session for the rest
		case err != nil:
			return "", st, st.stopped(err)
		case done != "":
			return done, st, nil
		}
		// Every bucket went but no answer carried the completion token
		// (one was lost in transit): a new session hands it out.
	}
}

// stopped is the error of an upload that stopped on err, saying how far
// it got.
func (st *uploadStats) stopped(err error) error {
	return fmt.Errorf("upload stopped after %d sessions, %d of %d files landed (%s of %s; a new deploy uploads only the rest): %w",
		st.Sessions, st.Files, st.TotalFiles, human.Bytes(st.Bytes), human.Bytes(st.TotalBytes), err)
}

// openSession posts the manifest; it answers the session's token and the
// buckets of hashes to upload (none when Cloudflare has them all, and
// then the token is the completion token).
func (t *Target) openSession(ctx context.Context, b *bundle) (string, [][]string, error) {
	var params workers.ScriptAssetUploadNewParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	// The SDK encodes a map one sjson insertion at a time, quadratic in
	// the files: 10 s for 11,500. The manifest goes as encoding/json
	// writes it, in the body of the same call.
	body, err := json.Marshal(map[string]any{"manifest": b.apiManifest()})
	if err != nil {
		return "", nil, err
	}
	var res struct {
		JWT     string     `json:"jwt"`
		Buckets [][]string `json:"buckets"`
	}
	err = t.call(ctx, "open upload session", &res, func(opts ...option.RequestOption) error {
		_, err := t.scripts.Assets.Upload.New(ctx, t.cfg.Script, params, append(opts, option.WithRequestBody("application/json", body))...)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if res.JWT == "" {
		return "", nil, fmt.Errorf("open upload session: the answer has no token")
	}
	var buckets [][]string
	for _, bk := range res.Buckets { // null buckets have been seen: skip them
		if len(bk) > 0 {
			buckets = append(buckets, bk)
		}
	}
	return res.JWT, buckets, nil
}

// uploadBuckets uploads the buckets, cfg.InFlight at a time, and returns
// the completion token if an answer carried it. The first failure that
// retries cannot fix stops the rest.
func (t *Target) uploadBuckets(parent context.Context, jwt string, buckets [][]string, files map[string]*asset, st *uploadStats, progress func(Progress)) (string, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		done string
		wg   sync.WaitGroup
	)
	work := make(chan []string)
	for range t.cfg.InFlight {
		wg.Go(func() {
			for bk := range work {
				if ctx.Err() != nil {
					continue // stopped: let the feeder finish
				}
				tok, retries, n, err := t.uploadBucket(ctx, jwt, bk, files)
				mu.Lock()
				st.Retries += retries
				if err != nil {
					mu.Unlock()
					cancel(err)
					continue
				}
				if tok != "" {
					done = tok
				}
				if st.Sent == nil {
					st.Sent = map[string]bool{}
				}
				for _, h := range bk {
					st.Sent[h] = true
				}
				st.Files += len(bk)
				st.Bytes += n
				if progress != nil {
					progress(st.Progress)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, bk := range buckets {
		select {
		case work <- bk:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if done != "" && parent.Err() == nil {
		// Cloudflare has every file (a retry of a bucket it had taken may
		// still have failed): the set is complete.
		return done, nil
	}
	if err := context.Cause(ctx); err != nil {
		return "", err // a bucket failed for good, or ctx ended
	}
	return done, nil
}

// uploadBucket sends one bucket, trying again while the failure may
// pass, and returns the completion token if Cloudflare answered 201, the
// retries it took and the bytes it carried.
func (t *Target) uploadBucket(ctx context.Context, jwt string, hashes []string, files map[string]*asset) (string, int, int64, error) {
	body, ctype, size, err := bucketBody(hashes, files)
	if err != nil {
		return "", 0, 0, err
	}
	var params workers.AssetUploadNewParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	params.Base64.Value, params.Base64.Present = workers.AssetUploadNewParamsBase64True, true
	var res struct {
		JWT string `json:"jwt"`
	}
	retries := -1
	err = t.call(ctx, fmt.Sprintf("upload %d files", len(hashes)), &res, func(opts ...option.RequestOption) error {
		retries++
		_, err := t.uploads.New(ctx, params, append(opts,
			option.WithRequestBody(ctype, body), // the SDK's own form drops each part's Content-Type
			option.WithHeader("Authorization", "Bearer "+jwt))...)
		return err
	})
	if e, ok := cfapi.AsError(err); ok && e.Status == http.StatusUnauthorized {
		return "", retries, 0, errExpired
	}
	return res.JWT, retries, size, err
}

// bucketBody is the multipart body of one bucket: a part per file, named
// by its hash, holding its base64, typed with its MIME type (which is
// what Cloudflare serves it with).
func bucketBody(hashes []string, files map[string]*asset) ([]byte, string, int64, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	var size int64
	for _, h := range hashes {
		a := files[h]
		if a == nil {
			return nil, "", 0, fmt.Errorf("upload: Cloudflare asked for %s, which no file of this build has", h)
		}
		data, err := a.read()
		if err != nil {
			return nil, "", 0, fmt.Errorf("upload %s: %w", a.Path, err)
		}
		hdr := textproto.MIMEHeader{}
		hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, h, h))
		hdr.Set("Content-Type", a.ContentType)
		pw, err := w.CreatePart(hdr)
		if err != nil {
			return nil, "", 0, err
		}
		enc := base64.NewEncoder(base64.StdEncoding, pw)
		if _, err := enc.Write(data); err != nil {
			return nil, "", 0, err
		}
		if err := enc.Close(); err != nil {
			return nil, "", 0, err
		}
		size += int64(len(data))
	}
	if err := w.Close(); err != nil {
		return nil, "", 0, err
	}
	return buf.Bytes(), w.FormDataContentType(), size, nil
}
