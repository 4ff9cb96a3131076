package deploy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
)

// The records of builds deployed to Cloudflare from this checkout: each
// build's manifest and tag versions, for planning the purge when the
// next build replaces it (or a rollback brings it back). They are kept by
// build id, which the live version's tag names, never by version ID: a
// deploy may not learn its version's ID (a lost answer, a failed
// read-back), and duplicate versions of one build share one record.
const keepRecords = 10

// recordVersionFile names, in a build's record, the version it was last
// deployed as, when known.
const recordVersionFile = "version"

// saveCloudflareRecord keeps the record of the build in out (its id
// build), deployed as version ("" when unknown), and drops the oldest
// records beyond keepRecords.
func saveCloudflareRecord(l Layout, build, version, out string) error {
	if build == "" || build != filepath.Base(build) || build == "." || build == ".." {
		return fmt.Errorf("build id %q cannot name a record", build)
	}
	root := l.CloudflareBuilds()
	dst := filepath.Join(root, build, manifest.Dir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{manifest.Path, manifest.VersionsPath} {
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if os.IsNotExist(err) && name == manifest.VersionsPath {
			continue
		}
		if err != nil {
			return err
		}
		if err := fsatomic.WriteFileDurable(filepath.Join(root, build, filepath.FromSlash(name)), data); err != nil {
			return err
		}
	}
	if version != "" {
		if err := fsatomic.WriteFileDurable(filepath.Join(root, build, recordVersionFile), []byte(version)); err != nil {
			return err
		}
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(root, build), now, now)
	ents, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	slices.SortFunc(ents, func(a, b os.DirEntry) int { return -modTime(a).Compare(modTime(b)) })
	for _, e := range ents[min(len(ents), keepRecords):] {
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func modTime(e os.DirEntry) time.Time {
	info, err := e.Info()
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// loadCloudflareRecord reads the record of the build a version holds: by
// its build id, else (a record an older Verge kept) by its version ID.
func loadCloudflareRecord(l Layout, v *cloudflare.Version) (cachepurge.Build, bool) {
	if v == nil {
		return cachepurge.Build{}, false
	}
	for _, name := range []string{v.BuildID, v.ID} {
		if name == "" || name != filepath.Base(name) {
			continue
		}
		p := filepath.Join(l.CloudflareBuilds(), name)
		if m, err := manifest.Read(p); err == nil && (name == v.ID || m.BuildID == v.BuildID) {
			return cachepurge.Build{Manifest: m, Versions: manifest.ReadTagVersions(p)}, true
		}
	}
	return cachepurge.Build{}, false
}

// latestCloudflareRecord is the newest record, and what deployed it: its
// version when known, else its build.
func latestCloudflareRecord(l Layout) (*cachepurge.Build, string) {
	ents, err := os.ReadDir(l.CloudflareBuilds())
	if err != nil || len(ents) == 0 {
		return nil, ""
	}
	newest := slices.MaxFunc(ents, func(a, b os.DirEntry) int { return modTime(a).Compare(modTime(b)) })
	p := filepath.Join(l.CloudflareBuilds(), newest.Name())
	m, err := manifest.Read(p)
	if err != nil {
		return nil, ""
	}
	name := "build " + short(m.BuildID)
	if data, err := os.ReadFile(filepath.Join(p, recordVersionFile)); err == nil && len(data) > 0 {
		name = string(data)
	}
	return &cachepurge.Build{Manifest: m, Versions: manifest.ReadTagVersions(p)}, name
}

func short(id string) string { return id[:min(len(id), 12)] }

// siteRecordPath is where a deploy leaves the record of its build on the
// site, for a deploy from another checkout (a fresh CI runner, without
// .verge/) to plan its purge against.
const siteRecordPath = manifest.CloudflareBuildPath

// siteRecord is what purge planning reads of a build, compactly: a
// 10,000-post corpus build's is 0.7 MB gzipped.
type siteRecord struct {
	BuildID  string            `json:"build_id"`
	Files    [][4]string       `json:"files"`    // served URL, SHA-256 (shortened), Cache-Tag (comma-joined), asset hash
	Versions map[string]string `json:"versions"` // tag -> version (shortened)
}

// The hashes a site record keeps: enough to tell a change (the chance
// that a change keeps the same 64 or 48 bits is nil in practice).
const (
	recordSHA     = 16
	recordVersion = 12
)

// encodeSiteRecord records the build for the site.
func encodeSiteRecord(build cachepurge.Build) ([]byte, error) {
	b := compactBuild(build)
	rec := siteRecord{BuildID: build.Manifest.BuildID, Versions: b.Versions}
	for _, f := range b.Manifest.Files {
		rec.Files = append(rec.Files, [4]string{f.URL(), f.SHA256, strings.Join(f.HeaderTags(), ","), f.AssetHash})
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(rec); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeSiteRecord reads a site record back as a build for planning
// (compare it with compactBuild of the next one).
func decodeSiteRecord(data []byte) (string, cachepurge.Build, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return "", cachepurge.Build{}, err
	}
	var rec siteRecord
	if err := json.NewDecoder(zr).Decode(&rec); err != nil {
		return "", cachepurge.Build{}, err
	}
	m := &manifest.Manifest{BuildID: rec.BuildID}
	for _, f := range rec.Files {
		var tags []string
		if f[2] != "" {
			tags = strings.Split(f[2], ",")
		}
		m.Files = append(m.Files, manifest.File{Path: f[0], SHA256: f[1], CacheTags: tags, AssetHash: f[3]})
	}
	slices.SortFunc(m.Files, func(a, b manifest.File) int { return strings.Compare(a.Path, b.Path) })
	return rec.BuildID, cachepurge.Build{Manifest: m, Versions: rec.Versions}, nil
}

// compactBuild shortens a build's hashes as a site record keeps them, so
// that a build compares with a record.
func compactBuild(b cachepurge.Build) cachepurge.Build {
	m := *b.Manifest
	m.Files = slices.Clone(m.Files)
	for i := range m.Files {
		m.Files[i].SHA256 = m.Files[i].SHA256[:min(len(m.Files[i].SHA256), recordSHA)]
	}
	var v map[string]string
	if b.Versions != nil {
		v = make(map[string]string, len(b.Versions))
		for t, x := range b.Versions {
			v[t] = x[:min(len(x), recordVersion)]
		}
	}
	return cachepurge.Build{Manifest: &m, Versions: v}
}
