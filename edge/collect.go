package edge

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CollectReport says what a collection removed.
type CollectReport struct {
	Versions int   // version records removed
	Blobs    int   // blobs no kept version uses
	Bytes    int64 // their size
}

// Collect removes all but the newest retain versions (0: DefaultRetain;
// the active version is always kept), the blobs only they used, and
// what killed writers left in tmp/.
func (s *Store) Collect(retain int) (CollectReport, error) {
	unlock, err := s.lock()
	if err != nil {
		return CollectReport{}, err
	}
	defer unlock()
	return s.collect(retain)
}

// collect is Collect for a caller holding the lock.
func (s *Store) collect(retain int) (CollectReport, error) {
	var rep CollectReport
	if retain <= 0 {
		retain = DefaultRetain
	}
	list, err := s.Versions()
	if err != nil {
		return rep, err
	}
	used := map[string]bool{}
	for i, vi := range list {
		if i >= retain && !vi.Active {
			// The record first: a version without it does not exist.
			if err := os.Remove(filepath.Join(s.dir, "versions", vi.ID+".json")); err != nil {
				return rep, err
			}
			_ = os.Remove(filepath.Join(s.dir, "versions", vi.ID+".manifest.json"))
			_ = os.Remove(filepath.Join(s.dir, "versions", vi.ID+".versions.json"))
			rep.Versions++
			continue
		}
		v, err := s.Version(vi.ID)
		if err != nil {
			return rep, err
		}
		for _, f := range v.Manifest.Files {
			used[f.SHA256] = true
		}
	}
	// Manifests and tag versions without a record were left by a killed
	// deploy.
	if ents, err := os.ReadDir(filepath.Join(s.dir, "versions")); err == nil {
		for _, e := range ents {
			id, ok := strings.CutSuffix(e.Name(), ".manifest.json")
			if !ok {
				id, ok = strings.CutSuffix(e.Name(), ".versions.json")
			}
			if ok {
				if _, err := os.Stat(filepath.Join(s.dir, "versions", id+".json")); os.IsNotExist(err) {
					os.Remove(filepath.Join(s.dir, "versions", e.Name()))
				}
			}
		}
	}
	// Nothing writes while the lock is held: whatever is in tmp/ was left
	// by a killed process.
	if ents, err := os.ReadDir(filepath.Join(s.dir, "tmp")); err == nil {
		for _, e := range ents {
			os.RemoveAll(filepath.Join(s.dir, "tmp", e.Name()))
		}
	}
	err = filepath.WalkDir(filepath.Join(s.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		// A blob's compressed forms (SHA.br, SHA.gz) live and die with it;
		// ".SHA.br.tmp-*" is one being written by a server, or left by a
		// killed one if it is old.
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			if time.Since(info.ModTime()) < time.Hour {
				return nil
			}
		} else if sha, _, _ := strings.Cut(name, "."); used[sha] {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		rep.Blobs++
		rep.Bytes += info.Size()
		return nil
	})
	return rep, err
}
