package main

import (
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
)

// The records of builds deployed to Cloudflare from this checkout: each
// version's manifest and tag versions, for planning the purge when the
// next build replaces it (or a rollback brings it back).
const keepRecords = 10

func cloudflareRecords(dir string) string {
	return filepath.Join(dir, ".verge", "cloudflare", "builds")
}

// saveCloudflareRecord keeps the record of the build in out, live as
// version, and drops the oldest records beyond keepRecords.
func saveCloudflareRecord(dir, version, out string) error {
	if version == "" {
		return nil
	}
	root := cloudflareRecords(dir)
	dst := filepath.Join(root, version, "_verge")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"manifest.json", "versions.json"} {
		data, err := os.ReadFile(filepath.Join(out, "_verge", name))
		if os.IsNotExist(err) && name == "versions.json" {
			continue
		}
		if err != nil {
			return err
		}
		if err := fsatomic.WriteFileDurable(filepath.Join(dst, name), data); err != nil {
			return err
		}
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(root, version), now, now)
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

// loadCloudflareRecord reads the record of the build live as version.
func loadCloudflareRecord(dir, version string) (cachepurge.Build, bool) {
	p := filepath.Join(cloudflareRecords(dir), version)
	m, err := manifest.Read(p)
	if err != nil {
		return cachepurge.Build{}, false
	}
	return cachepurge.Build{Manifest: m, Versions: readTagVersions(p)}, true
}

// latestCloudflareRecord is the newest record, and its version.
func latestCloudflareRecord(dir string) (*cachepurge.Build, string) {
	ents, err := os.ReadDir(cloudflareRecords(dir))
	if err != nil || len(ents) == 0 {
		return nil, ""
	}
	newest := slices.MaxFunc(ents, func(a, b os.DirEntry) int { return modTime(a).Compare(modTime(b)) })
	b, ok := loadCloudflareRecord(dir, newest.Name())
	if !ok {
		return nil, ""
	}
	return &b, newest.Name()
}

func short(id string) string { return id[:min(len(id), 12)] }
