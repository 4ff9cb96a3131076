package cloudflare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
)

// keepBuilds is how many earlier builds' fingerprinted files each deploy
// keeps serving: a page loaded before a deploy still finds the assets it
// names for that many deploys.
const keepBuilds = 3

// keptPath is where the record of recent builds is, in StateDir and on
// the deployed site (so a fresh checkout can read it back).
const keptPath = manifest.CloudflareKeptPath

// keptRecord lists the fingerprinted files of recent builds, newest first.
type keptRecord struct {
	Builds []keptBuild `json:"builds"`
}

// keptBuild is the fingerprinted files of one build. Builds that changed
// only pages share their assets with the build before, and are not
// listed again: a content edit leaves the record, and its upload, alone.
type keptBuild struct {
	Files []asset `json:"files"`
}

func (b keptBuild) same(c keptBuild) bool {
	return slices.EqualFunc(b.Files, c.Files, func(x, y asset) bool { return x.Path == y.Path && x.Hash == y.Hash })
}

// files lists the kept files, newest build first.
func (r *keptRecord) files() []asset {
	var out []asset
	for _, b := range r.Builds {
		out = append(out, b.Files...)
	}
	return out
}

// next is the record after deploying the build m: its fingerprinted
// files first, then the earlier builds' (other than its own), keepBuilds
// in all.
func (r *keptRecord) next(m *manifest.Manifest) *keptRecord {
	var cur keptBuild
	for _, f := range m.Files {
		if f.Kind == manifest.KindAsset {
			cur.Files = append(cur.Files, asset{Path: f.Path, Hash: f.AssetHash, Size: f.Size, ContentType: mimeType(f.Path, f.ContentType)})
		}
	}
	out := &keptRecord{Builds: []keptBuild{cur}}
	for _, b := range r.Builds {
		if len(out.Builds) == keepBuilds {
			break
		}
		if !b.same(cur) {
			out.Builds = append(out.Builds, b)
		}
	}
	return out
}

// loadKept reads the record of recent builds: the live site's (it knows
// deploys made elsewhere, by CI say) merged with StateDir's (it knows
// this checkout's, and works offline). Neither: an empty record (a first
// deploy). The string is a warning for the user.
func (t *Target) loadKept(ctx context.Context) (*keptRecord, string, error) {
	local, haveLocal, err := t.readLocalKept()
	if err != nil {
		return nil, "", err
	}
	remote, rerr := t.readSiteKept(ctx)
	warning := ""
	if rerr != nil && !haveLocal {
		warning = rerr.Error() + ": earlier builds' assets are not kept this time"
	}
	merged := &keptRecord{}
	for _, b := range append(remote.Builds, local.Builds...) {
		if !slices.ContainsFunc(merged.Builds, b.same) {
			merged.Builds = append(merged.Builds, b)
		}
	}
	return merged, warning, nil
}

func (t *Target) readLocalKept() (*keptRecord, bool, error) {
	var rec keptRecord
	if t.cfg.StateDir == "" {
		return &rec, false, nil
	}
	data, err := os.ReadFile(t.keptFile())
	if os.IsNotExist(err) {
		return &rec, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, false, fmt.Errorf("%s: %w (delete it: the next deploy reads the live site's copy)", t.keptFile(), err)
	}
	return &rec, true, nil
}

// readSiteKept reads the record the live site serves; none (404, or no
// SiteURL) is an empty record.
func (t *Target) readSiteKept(ctx context.Context) (*keptRecord, error) {
	var rec keptRecord
	data, err := t.ReadRecord(ctx, keptPath)
	if err != nil || data == nil {
		return &rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return &keptRecord{}, fmt.Errorf("%s%s: %w", t.cfg.SiteURL, keptPath, err)
	}
	return &rec, nil
}

// ReadRecord reads a record (see DeployOptions) of the version live on
// the site at SiteURL: nil when it has none, or there is no SiteURL.
func (t *Target) ReadRecord(ctx context.Context, path string) ([]byte, error) {
	if t.cfg.SiteURL == "" {
		return nil, nil
	}
	u := strings.TrimSuffix(t.cfg.SiteURL, "/") + path
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	// The raw bytes: a transparent gunzip would hide what was stored.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not read %s (%w)", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("could not read %s (%s)", u, resp.Status)
	}
	return data, nil
}

// without drops the files with the given hashes (Cloudflare no longer
// has their bytes, and this build cannot supply them).
func (r *keptRecord) without(gone map[string]bool) *keptRecord {
	if len(gone) == 0 {
		return r
	}
	out := &keptRecord{}
	for _, b := range r.Builds {
		var kb keptBuild
		for _, f := range b.Files {
			if !gone[f.Hash] {
				kb.Files = append(kb.Files, f)
			}
		}
		if len(kb.Files) > 0 {
			out.Builds = append(out.Builds, kb)
		}
	}
	return out
}

// saveKept stores the record in StateDir.
func (t *Target) saveKept(rec *keptRecord) error {
	if t.cfg.StateDir == "" {
		return nil
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.keptFile()), 0o755); err != nil {
		return err
	}
	return fsatomic.WriteFileDurable(t.keptFile(), data)
}

// keptFile is the local record, one per account and Worker: a record
// made for another account names files this one may lack.
func (t *Target) keptFile() string {
	return filepath.Join(t.cfg.StateDir, t.cfg.AccountID+"-"+t.cfg.Script+"-kept.json")
}

// keptAsset is the record as a file of the deploy, so the next deploy
// from a fresh checkout can read it from the site.
func keptAsset(rec *keptRecord) (asset, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return asset{}, err
	}
	return asset{Path: keptPath, Hash: manifest.AssetHash(keptPath, data), Size: int64(len(data)), ContentType: "application/json", data: data}, nil
}
