package edge

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/manifest"
)

// Version is one deployed build as the store keeps it.
type Version struct {
	ID       string             `json:"id"`
	Created  time.Time          `json:"created"`
	BuildID  string             `json:"build_id"`
	Files    int                `json:"files"`
	Bytes    int64              `json:"bytes"`
	Changes  Changes            `json:"changes"` // against the version active when it was deployed
	Manifest *manifest.Manifest `json:"-"`       // kept beside the record, in ID.manifest.json
}

// Changes counts the files a version adds, removes and changes against
// another.
type Changes struct {
	Base     string `json:"base,omitempty"` // the version compared with; "" for the first
	Added    int    `json:"added"`
	Removed  int    `json:"removed"`
	Modified int    `json:"modified"`
}

// VersionInfo is a version without its manifest, for listings.
type VersionInfo struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	BuildID string    `json:"build_id"`
	Files   int       `json:"files"`
	Bytes   int64     `json:"bytes"`
	Changes Changes   `json:"changes"`
	Active  bool      `json:"active"`
}

// newVersionID names a version by its creation time and build, so that
// IDs sort by age and say which build they hold.
func newVersionID(t time.Time, buildID string) string {
	return t.UTC().Format("20060102-150405.000") + "-" + buildID[:min(8, len(buildID))]
}

// validID reports whether id can name a version file (no path tricks).
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, `/\`) && id != "." && id != ".." && !strings.HasPrefix(id, ".")
}

// Version reads one version, with its manifest.
func (s *Store) Version(id string) (*Version, error) {
	v, err := s.versionInfo(id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "versions", id+".manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("version %s: %w", id, err)
	}
	v.Manifest = new(manifest.Manifest)
	if err := json.Unmarshal(data, v.Manifest); err != nil {
		return nil, fmt.Errorf("version %s: %w", id, err)
	}
	return v, nil
}

// versionInfo reads a version's record without its manifest.
func (s *Store) versionInfo(id string) (*Version, error) {
	if !validID(id) {
		return nil, fmt.Errorf("no version %q in %s", id, s.dir)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "versions", id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no version %q in %s (verge versions lists them)", id, s.dir)
	}
	if err != nil {
		return nil, err
	}
	var v Version
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("version %s: %w", id, err)
	}
	return &v, nil
}

// TagVersions returns the version of every tag version id's build knew,
// or nil when the store has none for it (a build deployed before the
// store kept them).
func (s *Store) TagVersions(id string) (map[string]string, error) {
	if !validID(id) {
		return nil, fmt.Errorf("version %q: not a version ID", id)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "versions", id+".versions.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var tv map[string]string
	if err := json.Unmarshal(data, &tv); err != nil {
		return nil, fmt.Errorf("version %s: tag versions: %w", id, err)
	}
	return tv, nil
}

// Active returns the ID of the version being served, "" when none is.
func (s *Store) Active() (string, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, "active"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(data)), err
}

// Versions lists every version, newest first.
func (s *Store) Versions() ([]VersionInfo, error) {
	active, err := s.Active()
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(s.dir, "versions"))
	if err != nil {
		return nil, err
	}
	var out []VersionInfo
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validID(id) || strings.HasSuffix(id, ".manifest") || strings.HasSuffix(id, ".versions") {
			continue
		}
		v, err := s.versionInfo(id)
		if err != nil {
			return nil, err
		}
		out = append(out, VersionInfo{ID: v.ID, Created: v.Created, BuildID: v.BuildID, Files: v.Files, Bytes: v.Bytes,
			Changes: v.Changes, Active: v.ID == active})
	}
	slices.SortFunc(out, func(a, b VersionInfo) int { return strings.Compare(b.ID, a.ID) })
	return out, nil
}

// activate makes id the active version: one rename, so every reader sees
// the old version or the new, and records it in the history. The caller
// holds the lock.
func (s *Store) activate(id string) error {
	if err := s.writeFile("active", []byte(id+"\n")); err != nil {
		return fmt.Errorf("activate %s: %w", id, err)
	}
	// The switch is made: should telling edge servers fail, they see it
	// within statEvery all the same.
	_ = s.bumpGeneration()
	f, err := os.OpenFile(filepath.Join(s.dir, "history"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format(time.RFC3339Nano), id)
	return err
}

// history lists the activated version IDs, oldest first.
func (s *Store) history() ([]string, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, "history"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if _, id, ok := strings.Cut(sc.Text(), " "); ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// Rollback activates version to, or when to is "" the version that was
// active before the current one. It returns the versions switched from
// and to.
func (s *Store) Rollback(to string) (from, target string, err error) {
	unlock, err := s.lock()
	if err != nil {
		return "", "", err
	}
	defer unlock()
	from, err = s.Active()
	if err != nil {
		return "", "", err
	}
	if to == "" {
		hist, err := s.history()
		if err != nil {
			return "", "", err
		}
		for i := len(hist) - 1; i >= 0; i-- {
			if hist[i] != from {
				if _, err := s.Version(hist[i]); err == nil {
					to = hist[i]
					break
				}
			}
		}
		if to == "" {
			return from, "", fmt.Errorf("nothing to roll back to: %s has no earlier version", s.dir)
		}
	}
	v, err := s.Version(to)
	if err != nil {
		return from, "", err
	}
	if err := s.check(v); err != nil {
		return from, "", fmt.Errorf("cannot roll back to %s: %w", to, err)
	}
	if to == from {
		return from, to, nil
	}
	return from, to, s.activate(to)
}

// check verifies that every file of v has its blob in the store.
func (s *Store) check(v *Version) error {
	for _, f := range v.Manifest.Files {
		if !s.hasBlob(f.SHA256, f.Size) {
			return fmt.Errorf("version %s: %s (blob %s) is missing from the store", v.ID, f.Path, f.SHA256)
		}
	}
	return nil
}

// Check verifies the store: the active version exists and has every blob.
func (s *Store) Check() error {
	id, err := s.Active()
	if err != nil || id == "" {
		return err
	}
	v, err := s.Version(id)
	if err != nil {
		return fmt.Errorf("active version: %w", err)
	}
	return s.check(v)
}

// sha256Writer hashes what is written to it.
type sha256Writer struct{ hash.Hash }

func newSHA256() sha256Writer { return sha256Writer{sha256.New()} }

func (w sha256Writer) hex() string { return hex.EncodeToString(w.Sum(nil)) }
