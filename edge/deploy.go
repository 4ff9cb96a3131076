package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/internal/manifest"
)

// DeployReport says what a deploy did.
type DeployReport struct {
	Version       string  // the version now active
	Previous      string  // the version active before; "" if none
	Uploaded      int     // blobs the store lacked
	UploadedBytes int64   // their size
	Reused        int     // files whose blob the store had
	Unchanged     bool    // this build was active already: nothing done
	Reactivated   bool    // this build was deployed before: its version was activated again
	Changes       Changes // against Previous
	Collected     CollectReport
}

// DefaultRetain is how many versions a deploy keeps (the active one is
// always kept too); older versions and the blobs only they use go.
const DefaultRetain = 10

// Deploy stores the build in dist (with its manifest) as a new version and
// activates it, then collects versions beyond retain (0: DefaultRetain).
// Only blobs the store lacks are copied. Killed at any point, it leaves
// the previous version active and the store consistent; run again, it
// completes. A concurrent deploy fails with ErrBusy.
func (s *Store) Deploy(ctx context.Context, dist string, retain int) (*DeployReport, error) {
	m, err := manifest.Read(dist)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no %s: build the site first (verge build)", dist, manifest.Path)
	}
	if err != nil {
		return nil, err
	}
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	rep := &DeployReport{}
	rep.Previous, err = s.Active()
	if err != nil {
		return nil, err
	}
	var prev *Version
	if rep.Previous != "" {
		if prev, err = s.Version(rep.Previous); err != nil {
			return nil, err
		}
	}
	rep.Changes = diffManifests(prev, m)
	if prev != nil && prev.BuildID == m.BuildID && s.check(prev) == nil {
		rep.Version, rep.Unchanged = prev.ID, true
		rep.Collected, err = s.collect(retain) // what a killed deploy left, say
		return rep, err
	}
	if v := s.findBuild(m.BuildID); v != nil && s.check(v) == nil {
		// Deployed before (a re-run after a kill, or going back to an
		// older build): activate what is there.
		rep.Version, rep.Reactivated = v.ID, true
		if err := s.activate(v.ID); err != nil {
			return nil, err
		}
		rep.Collected, err = s.collect(retain)
		return rep, err
	}

	if err := s.upload(ctx, dist, m, rep); err != nil {
		return nil, err
	}
	// Blobs must be on disk before a version names them.
	if err := s.syncAll(); err != nil {
		return nil, err
	}
	v := &Version{ID: newVersionID(time.Now(), m.BuildID), Created: time.Now().UTC(), BuildID: m.BuildID,
		Files: len(m.Files), Changes: rep.Changes, Manifest: m}
	for _, f := range m.Files {
		v.Bytes += f.Size
	}
	// The build's tag versions, for planning the next deploy's purge
	// (see package cachepurge); a build without them plans without.
	if tv, err := os.ReadFile(filepath.Join(dist, filepath.FromSlash(manifest.VersionsPath))); err == nil {
		if err := s.writeFile(filepath.Join("versions", v.ID+".versions.json"), tv); err != nil {
			return nil, fmt.Errorf("write version %s: %w", v.ID, err)
		}
	}
	// The manifest next: the record's existence is the version's.
	mdata, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if err := s.writeFile(filepath.Join("versions", v.ID+".manifest.json"), mdata); err != nil {
		return nil, fmt.Errorf("write version %s: %w", v.ID, err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := s.writeFile(filepath.Join("versions", v.ID+".json"), data); err != nil {
		return nil, fmt.Errorf("write version %s: %w", v.ID, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // stored, not active: a re-run activates it
	}
	if err := s.activate(v.ID); err != nil {
		return nil, err
	}
	rep.Version = v.ID
	rep.Collected, err = s.collect(retain)
	return rep, err
}

// upload copies the blobs the store lacks, a few at a time: the work is
// mostly waiting on the file system.
func (s *Store) upload(ctx context.Context, dist string, m *manifest.Manifest, rep *DeployReport) error {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	seen := make(map[string]bool, len(m.Files))
	var todo []manifest.File
	for _, f := range m.Files {
		if seen[f.SHA256] {
			rep.Reused++
			continue
		}
		seen[f.SHA256] = true
		if s.hasBlob(f.SHA256, f.Size) {
			rep.Reused++
			continue
		}
		todo = append(todo, f)
	}
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				f := todo[i]
				n, err := s.putBlob(filepath.Join(dist, filepath.FromSlash(f.Path)), f.SHA256)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("upload %s: %w", f.Path, err)
				}
				rep.Uploaded++
				rep.UploadedBytes += n
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// findBuild returns a stored version of the build, or nil.
func (s *Store) findBuild(buildID string) *Version {
	list, err := s.Versions()
	if err != nil {
		return nil
	}
	for _, vi := range list {
		if vi.BuildID == buildID {
			if v, err := s.Version(vi.ID); err == nil {
				return v
			}
		}
	}
	return nil
}

// diffManifests counts what m adds, removes and changes against prev.
func diffManifests(prev *Version, m *manifest.Manifest) Changes {
	if prev == nil {
		return Changes{Added: len(m.Files)}
	}
	c := Changes{Base: prev.ID}
	old := make(map[string]string, len(prev.Manifest.Files))
	for _, f := range prev.Manifest.Files {
		old[f.Path] = f.SHA256
	}
	for _, f := range m.Files {
		sha, ok := old[f.Path]
		switch {
		case !ok:
			c.Added++
		case sha != f.SHA256:
			c.Modified++
		}
		delete(old, f.Path)
	}
	c.Removed = len(old)
	return c
}
