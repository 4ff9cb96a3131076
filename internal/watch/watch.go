// Package watch reports file changes under a set of directories as
// debounced batches. It watches recursively (directories that appear are
// watched, and the files already in them reported), drops chmod-only
// events and editors' temporary files, and says when events were lost (an
// inotify queue overflow) so the caller can rescan rather than go stale.
package watch

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Batch is one debounced set of changes.
type Batch struct {
	// Paths are the absolute paths that were created, written, removed or
	// renamed, sorted and without duplicates. A path may name a directory;
	// whether it still exists is for the caller to check, when it handles
	// the batch (an editor's save is a remove and a create in a row).
	Paths []string
	// Rescan reports that events were lost: the caller should treat every
	// file under the roots as changed.
	Rescan bool
}

// Options tune a Watcher; zero values take the defaults.
type Options struct {
	// Quiet is how long no event must arrive before a batch is sent
	// (default 10ms): long enough to merge an editor's save or a git
	// checkout's burst, short enough not to be felt.
	Quiet time.Duration
	// MaxDelay bounds how long a busy stream of events holds a batch
	// back (default 300ms).
	MaxDelay time.Duration
	// Skip reports paths not to watch or report: whole directories (the
	// output directory, .git) and files. Editors' temporary files are
	// skipped in any case.
	Skip func(path string, isDir bool) bool
}

// Watcher watches directory trees. Receive from Batches until it is
// closed; Close stops watching.
type Watcher struct {
	fs      *fsnotify.Watcher
	opts    Options
	batches chan Batch
	done    chan struct{}
	wg      sync.WaitGroup
}

// New watches every directory under roots (missing roots are skipped;
// they are not created) and starts sending batches.
func New(roots []string, opts Options) (*Watcher, error) {
	if opts.Quiet <= 0 {
		opts.Quiet = 10 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 300 * time.Millisecond
	}
	if opts.Skip == nil {
		opts.Skip = func(string, bool) bool { return false }
	}
	fw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, err
	}
	w := &Watcher{fs: fw, opts: opts, batches: make(chan Batch), done: make(chan struct{})}
	for _, r := range roots {
		if _, err := w.addTree(r, nil); err != nil {
			fw.Close()
			return nil, err
		}
	}
	w.wg.Go(w.loop)
	return w, nil
}

// Batches delivers batches of changes; it is closed by Close.
func (w *Watcher) Batches() <-chan Batch { return w.batches }

// Close stops watching and closes Batches.
func (w *Watcher) Close() error {
	select {
	case <-w.done:
		return nil
	default:
	}
	close(w.done)
	err := w.fs.Close()
	w.wg.Wait()
	return err
}

// addTree watches dir and every directory below it. When found is not
// nil, the files met on the way are added to it: they may have been
// created before the watch on their directory existed.
func (w *Watcher) addTree(dir string, found map[string]bool) (bool, error) {
	added := false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone already, or a root that does not exist
			}
			return err
		}
		if w.opts.Skip(p, d.IsDir()) || (!d.IsDir() && Temporary(p)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if found != nil {
				found[p] = true
			}
			return nil
		}
		if err := w.fs.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		added = true
		return nil
	})
	return added, err
}

// loop collects events into a pending set, which becomes ready once
// events have paused for Quiet, or MaxDelay after the first of them. While
// the receiver is busy with the last batch, events keep joining the ready
// one, so a long rebuild is followed by one batch, not a queue of them.
func (w *Watcher) loop() {
	defer close(w.batches)
	pending := map[string]bool{}
	rescan, ready := false, false
	rewalk := false // watches may be missing after an overflow
	// Since Go 1.23 a stopped or reset timer never delivers a stale tick,
	// so two timers re-armed as events come are all the state needed.
	quiet, max := time.NewTimer(time.Hour), time.NewTimer(time.Hour)
	quiet.Stop()
	max.Stop()
	armed := false
	note := func() {
		if ready {
			return
		}
		quiet.Reset(w.opts.Quiet)
		if !armed {
			max.Reset(w.opts.MaxDelay)
			armed = true
		}
	}
	for {
		var out chan Batch
		var b Batch
		if ready {
			if rewalk {
				for _, r := range w.fs.WatchList() {
					_, _ = w.addTree(r, nil)
				}
				rewalk = false
			}
			out, b = w.batches, batch(pending, rescan)
		}
		select {
		case <-w.done:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if w.take(ev, pending) {
				note()
			}
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			// Other errors concern one watch; events keep coming.
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				rescan, rewalk = true, true
				note()
			}
		case <-quiet.C:
			ready = true
		case <-max.C:
			ready = true
		case out <- b:
			pending, rescan, ready = map[string]bool{}, false, false
		}
		if ready && armed {
			quiet.Stop()
			max.Stop()
			armed = false
		}
	}
}

// batch makes the batch to send from the pending set.
func batch(pending map[string]bool, rescan bool) Batch {
	return Batch{Rescan: rescan, Paths: slices.Sorted(maps.Keys(pending))}
}

// take records one event; it reports whether the event counts.
func (w *Watcher) take(ev fsnotify.Event, pending map[string]bool) bool {
	p := filepath.Clean(ev.Name)
	if ev.Op == fsnotify.Chmod || Temporary(p) {
		return false // touch, chmod, or an editor's scratch file
	}
	st, err := os.Lstat(p)
	isDir := err == nil && st.IsDir()
	if w.opts.Skip(p, isDir) {
		return false
	}
	pending[p] = true
	switch {
	case ev.Has(fsnotify.Create) && isDir:
		// A new directory (made, moved in, or checked out): watch it and
		// report what is in it already.
		_, _ = w.addTree(p, pending)
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		// A directory moved away keeps its inotify watch under its old
		// name; drop the watches below it so they do not report stale
		// paths. (Removed directories lose their watches by themselves.)
		prefix := p + string(filepath.Separator)
		for _, wp := range w.fs.WatchList() {
			if wp == p || strings.HasPrefix(wp, prefix) {
				_ = w.fs.Remove(wp)
			}
		}
	}
	return true
}

// Temporary reports whether p looks like an editor's temporary or backup
// file, which never counts as a change: vim's swap files and write test
// (4913), backups ending in ~, Emacs lock and autosave files, JetBrains'
// safe-write files, and files of the form .name.tmp / name.tmp.123.
func Temporary(p string) bool {
	base := filepath.Base(p)
	switch {
	case base == "4913",
		strings.HasSuffix(base, "~"),
		strings.HasSuffix(base, ".swp"), strings.HasSuffix(base, ".swx"), strings.HasSuffix(base, ".swo"),
		strings.HasPrefix(base, ".#"),
		strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#"),
		strings.Contains(base, "___jb_"),
		strings.HasSuffix(base, ".tmp"),
		strings.Contains(base, ".tmp."):
		return true
	}
	return false
}
