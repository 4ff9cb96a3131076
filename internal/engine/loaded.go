package engine

// This file holds Build, the state of one build that pages read: the
// sources' loaded content, the built assets, the site tag's version.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Build is everything one build has loaded; pages read it through a
// Recorder. A content source keeps its loaded state here under a key of
// its own (itself), so one source's state is shared, unchanged, by the
// dev server's builds that follow while its files do not change.
type Build struct {
	// Root is the site's source directory.
	Root string
	// Config is the configuration the build was made with.
	Config *Config
	// Data is the site's own per-build value (Config.Data).
	Data any
	// SiteVersion is the version of SiteTag: the configuration and the
	// site program.
	SiteVersion string
	// Assets resolves the build's assets.
	Assets AssetLookup
	// Streaming is set when no later build reuses what this one loads (a
	// build to disk): a source may let go of what it has used, such as an
	// entry's Markdown once converted, and read it again if asked.
	Streaming bool

	mu      sync.Mutex
	states  map[any]any // loader -> its loaded state (e.g. a collection's)
	loaders []Loader

	versionsOnce sync.Once
	versionMap   map[string]string
}

// State returns the state the source key loaded into b (nil: none).
// Loaders run one after the other, and pages read once all have: no lock
// is needed to read.
func (b *Build) State(key any) any { return b.states[key] }

// SetState stores the state the source key loaded; a source may load its
// files in parallel, so it is safe for concurrent use.
func (b *Build) SetState(key, state any) {
	b.mu.Lock()
	b.states[key] = state
	b.mu.Unlock()
}

// newBuild makes the state of a build of s under cfg by the site program
// identified by key.
func newBuild(s *Site, cfg *Config, key string) *Build {
	return &Build{
		Root:        s.Root,
		Config:      cfg,
		Data:        cfg.Data,
		SiteVersion: siteVersion(key, cfg),
		states:      map[any]any{},
		loaders:     s.Loaders,
	}
}

// siteVersion is the version of SiteTag for the site program key under
// cfg.
func siteVersion(key string, cfg *Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", key, cfg.Fingerprint)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// ProgramKey is key, or when it is "" a hash of the running executable:
// what identifies the site program (see BuildOptions.BuildKey).
func ProgramKey(key string) (string, error) {
	if key != "" {
		return key, nil
	}
	exe, err := os.Executable()
	if err == nil {
		key, err = memoFileHash(exe)
	}
	if err != nil {
		return "", fmt.Errorf("identify site program: %w", err)
	}
	return key, nil
}

func fileHash(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// inDir is where the slash-separated path p (a URL path such as
// "/posts/a/index.html" or a relative one such as "_verge/state.json")
// lies under dir.
func inDir(dir, p string) string {
	return filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "/")))
}

// Parallel runs fn(0..n-1) on every core and waits for all of them.
func Parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
