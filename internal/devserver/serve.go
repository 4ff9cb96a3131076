// Package devserver is `verge serve`'s server inside the site program: it
// drives the build engine's in-memory builds (engine.DevBuilder) as files
// change, serves the current build with the site's API functions, and
// keeps open pages current through a live-reload client, showing build
// errors in an overlay. It also holds the ErrorServer that answers while
// no site program runs. The protocol between `verge serve` and the site
// program is package internal/protocol.
package devserver

// This file holds the serve loop: watch, rebuild, serve.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/protocol"
	"github.com/vergehq/verge/internal/watch"
)

// Options say what the dev server serves, and where.
type Options struct {
	Site *engine.Site
	// Key identifies the site program (see engine.BuildOptions.BuildKey).
	Key string
	// Port is where to listen on 127.0.0.1, unless the parent passed a
	// socket down (EnvListenFD).
	Port int
	// OutputDir is the site's output directory, which is not watched.
	OutputDir string
	// Functions makes the handler of the site's API functions, which read
	// the content of the build current returns (nil before the first).
	Functions func(log *slog.Logger, current func() *engine.Build) Functions
}

// Functions serves a site's API functions beside its pages.
type Functions interface {
	http.Handler
	// Match reports whether r's path is a function's, whatever the
	// method.
	Match(r *http.Request) bool
}

// Serve runs the dev server until ctx ends (or the parent that drives it
// goes away), and returns the exit status: it builds the site in memory,
// serves it with live reload, and rebuilds what each change touches.
func Serve(ctx context.Context, o Options, stdout, stderr io.Writer) int {
	ln, err := protocol.ListenOrInherit(o.Port)
	if err != nil {
		fmt.Fprintln(stderr, "serve:", err)
		return 1
	}
	start := time.Now()
	ds := newDevServer(o, stderr)
	defer ds.builder.Close()
	root := o.Site.Root
	w, err := watch.New([]string{root}, watch.Options{Skip: skipWatch(o.OutputDir)})
	if err != nil {
		fmt.Fprintln(stderr, "serve:", err)
		return 1
	}
	defer w.Close()

	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{Handler: ds, BaseContext: func(net.Listener) context.Context { return baseCtx },
		ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	url := "http://" + ln.Addr().String() + "/"
	serving := false
	startServing := func() {
		if serving {
			return
		}
		serving = true
		go func() { served <- srv.Serve(ln) }()
		if cur := ds.current(); cur != nil {
			fmt.Fprintf(stdout, "serving %s  (%d pages, first page ready in %s)\n", url, len(cur.Pages())+cur.Lazy(), time.Since(start).Round(time.Millisecond))
		} else {
			fmt.Fprintf(stdout, "serving %s  (the build failed: the page shows why, and reloads when it is fixed)\n", url)
		}
		protocol.SignalReady()
	}
	// Changes arrive on events; newer tells a build in progress that
	// more came, so it can give up completing a state already outdated.
	events := make(chan *engine.ChangeSet, 64)
	var newer atomic.Bool
	control, lost := protocol.ControlFromEnv()
	go forwardChanges(ctx, root, ds, w, control, events, &newer)

	// The first build serves as soon as its first part is done; the rest
	// of it renders while pages are already being served.
	pending := engine.NewChangeSet(true)
	if ds.rebuild(ctx, pending, startServing, newer.Load) {
		pending = engine.NewChangeSet(false)
	}
	startServing()
	for {
		select {
		case <-ctx.Done():
			cancelBase() // ends the event streams, which Shutdown would wait for
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = srv.Shutdown(sctx)
			cancel()
			return 0
		case err := <-served:
			fmt.Fprintln(stderr, "serve:", err)
			return 1
		case <-lost:
			cancelBase()
			_ = srv.Close()
			return 0
		case ch := <-events:
			pending.Merge(ch)
		}
		// Cleared before draining: whatever arrives after is newer than
		// this build.
		newer.Store(false)
		for drained := false; !drained; {
			select {
			case ch := <-events:
				pending.Merge(ch)
			default:
				drained = true
			}
		}
		if pending.Empty() {
			continue
		}
		// pending holds every change since the build being served until
		// a build that serves has applied them.
		if ds.rebuild(ctx, pending, nil, newer.Load) {
			pending = engine.NewChangeSet(false)
		}
	}
}

// forwardChanges turns file batches and control messages into change
// sets on events, setting newer for each; compile errors from `verge
// serve` go straight to the overlay.
func forwardChanges(ctx context.Context, root string, ds *devServer, w *watch.Watcher, control <-chan protocol.ControlMsg, events chan<- *engine.ChangeSet, newer *atomic.Bool) {
	for {
		var ch *engine.ChangeSet
		select {
		case <-ctx.Done():
			return
		case b, ok := <-w.Batches():
			if !ok {
				return
			}
			ch = relevant(root, b)
		case m := <-control:
			switch m.Type {
			case protocol.ControlTempl:
				ch = engine.NewChangeSet(false)
				ch.Templ = true
			case protocol.ControlErrors, protocol.ControlClear:
				ds.mu.Lock()
				ds.extErrs = m.Errors
				ds.mu.Unlock()
				ds.sendErrors()
			}
		}
		if ch == nil || ch.Empty() {
			continue
		}
		newer.Store(true)
		select {
		case events <- ch:
		case <-ctx.Done():
			return
		}
	}
}

// skipWatch leaves out what never feeds the build: version control,
// dependencies, and the output directory (taken once: the watcher runs
// beside rebuilds that may reload the config).
func skipWatch(outDir string) func(p string, isDir bool) bool {
	return func(p string, isDir bool) bool {
		if !isDir {
			return false
		}
		switch filepath.Base(p) {
		case ".git", ".hg", "node_modules", ".cache":
			return true
		}
		return p == outDir
	}
}

// relevant keeps the changes the site program handles: content, data,
// assets, static files and verge.toml. Go and .templ files are for
// `verge serve`, which recompiles the program.
func relevant(root string, b watch.Batch) *engine.ChangeSet {
	ch := engine.NewChangeSet(b.Rescan)
	for _, p := range b.Paths {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			continue
		}
		rel = filepath.ToSlash(rel)
		top, _, _ := strings.Cut(rel, "/")
		switch {
		case rel == engine.ConfigFile, top == "content", top == "data", top == "assets", top == "static":
			ch.Paths[p] = true
		}
	}
	return ch
}
