package cloudflare

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// Report says what a deploy did.
type Report struct {
	Version       string `json:"version"`        // the Worker version now live; "" in the rare case its ID is unknown (see Warning)
	BuildID       string `json:"build_id"`       // the build it holds
	Files         int    `json:"files"`          // files of the build
	Records       int    `json:"records"`        // Verge's own records uploaded with it (kept assets, DeployOptions.Records)
	Kept          int    `json:"kept"`           // earlier builds' fingerprinted files still served
	Uploaded      int    `json:"uploaded"`       // files of the build Cloudflare lacked
	UploadedBytes int64  `json:"uploaded_bytes"` // their size
	Skipped       int    `json:"skipped"`        // files Cloudflare had already
	Sessions      int    `json:"sessions"`       // upload sessions it took
	Retries       int    `json:"retries"`        // bucket uploads tried again
	Worker        bool   `json:"worker"`         // a Worker routes the site's functions to the origin
	Warning       string `json:"warning,omitempty"`
}

// DeployOptions are a deploy's extras.
type DeployOptions struct {
	// Progress, if set, is told how the upload goes.
	Progress func(Progress)
	// Records are files of the caller's own (under /_verge/) to serve
	// with the version, for a later deploy to read back (ReadRecord).
	Records []Record
}

// Record is a file of the caller's own deployed with a version.
type Record struct {
	Path string // URL path under /_verge/
	Data []byte
}

// Deploy puts the build in dist (with its manifest) live on the Worker:
// it uploads what Cloudflare lacks, then creates a version with the
// assets, their headers and redirects, and the build id, and deploys it
// to all traffic in one step. Until that step, the live version is
// untouched: a failed or interrupted deploy leaves it serving, and the
// next deploy uploads only what is still missing.
func (t *Target) Deploy(ctx context.Context, dist string, opts DeployOptions) (*Report, error) {
	m, err := manifest.Read(dist)
	if err != nil {
		return nil, err
	}
	kept, warning, err := t.loadKept(ctx)
	if err != nil {
		return nil, err
	}
	headers, hwarn, err := headersFile(m)
	if err != nil {
		return nil, err
	}
	warning = joinWarnings(warning, hwarn)
	nextKept := kept.next(m)
	var (
		b   *bundle
		jwt string
		st  uploadStats // over every pass
	)
	for {
		if b, err = t.bundle(dist, m, nextKept, opts.Records); err != nil {
			return nil, err
		}
		b.headers = headers
		var pass uploadStats
		jwt, pass, err = t.upload(ctx, b, opts.Progress)
		st.add(pass)
		if err != nil {
			return nil, fmt.Errorf("deploy to Cloudflare (the live version is unchanged): %w", err)
		}
		if len(pass.Dropped) == 0 {
			break
		}
		st.Dropped = pass.Dropped
		// Kept files Cloudflare lacked were left out: upload the record
		// without them too, so no later deploy asks for them again.
		nextKept = nextKept.without(pass.Dropped)
	}
	routes := functionRoutes(m.Functions)
	withWorker := len(routes) > 0 && t.cfg.Origin != ""
	if len(routes) > 0 && t.cfg.Origin == "" {
		warning = joinWarnings(warning, "the site has API functions and [cloudflare] origin is not set: their routes are not served")
	}
	mk := t.newMark(m.BuildID)
	body, ctype, err := t.scriptBody(m, mk, b, jwt, routes, withWorker)
	if err != nil {
		return nil, err
	}
	id, err := t.putVersion(ctx, mk, body, ctype)
	if errors.Is(err, ErrMaybeLive) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("deploy to Cloudflare (the live version is unchanged): %w", err)
	}
	rep := &Report{Version: id, BuildID: m.BuildID, Files: b.current - b.records, Kept: len(b.assets) - b.current,
		Sessions: st.Sessions, Retries: st.Retries, Worker: withWorker}
	counted := map[string]bool{}
	for _, a := range b.assets {
		switch {
		case !st.Sent[a.Hash]:
			rep.Skipped++
		case counted[a.Hash]: // two paths, one upload
		case a.data != nil:
			rep.Records++
		default:
			rep.Uploaded++
			rep.UploadedBytes += a.Size
		}
		counted[a.Hash] = true
	}
	// The version is live (the upload deploys it at once); reading back
	// what is live only tells whether another deploy replaced it since,
	// and so gets a short timeout of its own.
	live, lerr := t.readLive(ctx)
	switch {
	case lerr == nil && id == "" && mk.is(live):
		rep.Version = live.ID
	case lerr == nil && live != nil && live.ID == id:
	case lerr != nil && id == "":
		warning = joinWarnings(warning, fmt.Sprintf("deployed, but its version ID is unknown: the answer did not name it, and reading back what is live failed (%v); verge versions --target cloudflare lists it", lerr))
	case lerr != nil:
		warning = joinWarnings(warning, fmt.Sprintf("deployed, but reading back the live version failed: %v", lerr))
	case id == "":
		warning = joinWarnings(warning, "deployed, but another deploy has replaced this one since, and this one's version ID is unknown")
	default:
		warning = joinWarnings(warning, "deployed, but another deploy has replaced this one since")
	}
	if err := t.saveKept(nextKept); err != nil {
		warning = joinWarnings(warning, fmt.Sprintf("keeping the record of recent builds' assets: %v", err))
	}
	rep.Warning = warning
	return rep, nil
}

// ErrMaybeLive says a deploy's last step failed in a way that leaves
// unknown whether the new version went live: verge versions --target
// cloudflare tells.
var ErrMaybeLive = errors.New("the new version may or may not be live")

// Tag is the workers/tag annotation the version of build id carries
// when deployed by this target: the build id, and a hash of what the
// target adds to it (the Worker's code, its origin, its runtime date), so
// a change of deploy settings alone makes a new version too.
func (t *Target) Tag(id string) string {
	h := sha256.Sum256([]byte(t.cfg.Origin + "\x00" + t.cfg.CompatibilityDate + "\x00" + workerModule))
	return id[:min(len(id), 80)] + "+" + hex.EncodeToString(h[:4])
}

func joinWarnings(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// bundle is the deploy's files: the build's, the kept ones of earlier
// builds, and the record of those.
func (t *Target) bundle(dist string, m *manifest.Manifest, kept *keptRecord, records []Record) (*bundle, error) {
	rec, err := keptAsset(kept)
	if err != nil {
		return nil, err
	}
	extra := []asset{rec}
	for _, r := range records {
		if !strings.HasPrefix(r.Path, manifest.URLPrefix) {
			return nil, fmt.Errorf("record %s: records live under %s", r.Path, manifest.URLPrefix)
		}
		extra = append(extra, asset{Path: r.Path, Hash: manifest.AssetHash(r.Path, r.Data), Size: int64(len(r.Data)),
			ContentType: mimeType(r.Path, ""), data: r.Data})
	}
	return newBundle(dist, m, kept.files(), extra, t.cfg.MaxFiles)
}

// scriptMetadata is the metadata part of a Worker upload.
type scriptMetadata struct {
	MainModule        string            `json:"main_module,omitempty"`
	CompatibilityDate string            `json:"compatibility_date"`
	Bindings          []map[string]any  `json:"bindings"`
	Assets            assetsMetadata    `json:"assets"`
	Annotations       map[string]string `json:"annotations"`
}

type assetsMetadata struct {
	JWT    string       `json:"jwt"`
	Config assetsConfig `json:"config"`
}

type assetsConfig struct {
	HTMLHandling     string   `json:"html_handling"`
	NotFoundHandling string   `json:"not_found_handling"`
	Headers          string   `json:"_headers,omitempty"`
	Redirects        string   `json:"_redirects,omitempty"`
	RunWorkerFirst   []string `json:"run_worker_first,omitempty"`
}

// scriptBody is the multipart body of the Worker upload: one "metadata"
// part holding the JSON, and the Worker module when there is one.
func (t *Target) scriptBody(m *manifest.Manifest, mk mark, b *bundle, jwt string, routes []route, withWorker bool) ([]byte, string, error) {
	meta := scriptMetadata{
		CompatibilityDate: t.cfg.CompatibilityDate,
		Bindings:          []map[string]any{},
		Assets: assetsMetadata{JWT: jwt, Config: assetsConfig{
			HTMLHandling:     "auto-trailing-slash",
			NotFoundHandling: "none",
			Headers:          b.headers,
			Redirects:        b.redirects,
		}},
		Annotations: map[string]string{
			"workers/tag":     mk.tag,
			"workers/message": mk.message,
		},
	}
	if m.Lookup("/404.html") != nil {
		meta.Assets.Config.NotFoundHandling = "404-page"
	}
	if withWorker {
		meta.MainModule = WorkerName
		meta.Bindings = []map[string]any{
			{"type": "assets", "name": "ASSETS"},
			{"type": "plain_text", "name": "VERGE_ORIGIN", "text": t.cfg.Origin},
		}
		meta.Assets.Config.RunWorkerFirst = runWorkerFirst(routes)
	}
	mdata, err := json.Marshal(meta)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part := func(name, filename, ctype string, data []byte) error {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf("form-data; name=%q", name)
		if filename != "" {
			disp += fmt.Sprintf("; filename=%q", filename)
		}
		h.Set("Content-Disposition", disp)
		h.Set("Content-Type", ctype)
		pw, err := w.CreatePart(h)
		if err == nil {
			_, err = pw.Write(data)
		}
		return err
	}
	if err := part("metadata", "", "application/json", mdata); err != nil {
		return nil, "", err
	}
	if withWorker {
		if err := part(WorkerName, WorkerName, "application/javascript+module", []byte(workerSource(routes))); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
