package site

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/internal/protocol"
	"github.com/vergehq/verge/internal/watch"
)

// Deprecated forwarding names of the verge <-> site-program protocol,
// which internal/protocol owns; they go with the dev server's move.
const (
	DefaultPort = protocol.DefaultPort
	EnvListenFD = protocol.EnvListenFD
	EnvReadyFD  = protocol.EnvReadyFD
	EnvControl  = protocol.EnvControl
)

// ControlMsg is protocol.ControlMsg (deprecated forwarding alias).
type ControlMsg = protocol.ControlMsg

func runServe(ctx context.Context, s *Site, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", DefaultPort, "port to listen on, on 127.0.0.1")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the session to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "serve:", err)
			return 1
		}
		defer stop()
	}
	ln, err := listen(*port)
	if err != nil {
		fmt.Fprintln(stderr, "serve:", err)
		return 1
	}
	key := os.Getenv(protocol.EnvBuildKey)
	if key == "" {
		if exe, err := os.Executable(); err == nil {
			key, _ = fileHash(exe)
		}
	}
	start := time.Now()
	ds := newDevServer(s, key, stderr)
	defer ds.builder.close()
	w, err := watch.New([]string{s.root}, watch.Options{Skip: skipWatch(s.outputDir())})
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
			fmt.Fprintf(stdout, "serving %s  (%d pages, first page ready in %s)\n", url, len(cur.pages)+lazyCount(cur), time.Since(start).Round(time.Millisecond))
		} else {
			fmt.Fprintf(stdout, "serving %s  (the build failed: the page shows why, and reloads when it is fixed)\n", url)
		}
		signalReady()
	}
	// Changes arrive on events; newer tells a build in progress that
	// more came, so it can give up completing a state already outdated.
	events := make(chan *changeSet, 64)
	var newer atomic.Bool
	control, lost := readControl()
	go forwardChanges(ctx, s, ds, w, control, events, &newer)

	// The first build serves as soon as its first part is done; the rest
	// of it renders while pages are already being served.
	pending := newChangeSet(true)
	if ds.rebuild(ctx, pending, startServing, newer.Load) {
		pending = newChangeSet(false)
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
			pending.merge(ch)
		}
		// Cleared before draining: whatever arrives after is newer than
		// this build.
		newer.Store(false)
		for drained := false; !drained; {
			select {
			case ch := <-events:
				pending.merge(ch)
			default:
				drained = true
			}
		}
		if pending.empty() {
			continue
		}
		// pending holds every change since the last completed build
		// until one completes with them.
		if ds.rebuild(ctx, pending, nil, newer.Load) {
			pending = newChangeSet(false)
		}
	}
}

// forwardChanges turns file batches and control messages into change
// sets on events, setting newer for each; compile errors from `verge
// serve` go straight to the overlay.
func forwardChanges(ctx context.Context, s *Site, ds *devServer, w *watch.Watcher, control <-chan ControlMsg, events chan<- *changeSet, newer *atomic.Bool) {
	for {
		var ch *changeSet
		select {
		case <-ctx.Done():
			return
		case b, ok := <-w.Batches():
			if !ok {
				return
			}
			ch = s.relevant(b)
		case m := <-control:
			switch m.Type {
			case "templ":
				ch = newChangeSet(false)
				ch.templ = true
			case "errors", "clear":
				ds.mu.Lock()
				ds.extErrs = m.Errors
				ds.mu.Unlock()
				ds.sendErrors()
			}
		}
		if ch == nil || ch.empty() {
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

// listen opens the socket to serve on: the one `verge serve` passed down,
// or 127.0.0.1:port.
func listen(port int) (net.Listener, error) {
	if ln, err := protocol.Inherited(); ln != nil || err != nil {
		return ln, err
	}
	return protocol.Listen(port)
}

// Listen is protocol.Listen (deprecated forwarding name).
func Listen(port int) (net.Listener, error) { return protocol.Listen(port) }

func signalReady() { protocol.SignalReady() }

// readControl is protocol.ControlFromEnv.
func readControl() (msgs <-chan ControlMsg, lost <-chan struct{}) { return protocol.ControlFromEnv() }

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

// outputDir is the absolute output directory of the config.
func (s *Site) outputDir() string {
	out := filepath.FromSlash(s.cfg.OutputDir)
	if !filepath.IsAbs(out) {
		out = filepath.Join(s.root, out)
	}
	return filepath.Clean(out)
}

// relevant keeps the changes the site program handles: content, data,
// assets, static files and verge.toml. Go and .templ files are for
// `verge serve`, which recompiles the program.
func (s *Site) relevant(b watch.Batch) *changeSet {
	ch := newChangeSet(b.Rescan)
	for _, p := range b.Paths {
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			continue
		}
		rel = filepath.ToSlash(rel)
		top, _, _ := strings.Cut(rel, "/")
		switch {
		case rel == ConfigFile, top == "content", top == "data", top == "assets", top == "static":
			ch.paths[p] = true
		}
	}
	return ch
}

// lazyCount is how many pages of b are still to render.
func lazyCount(b *devBuild) int {
	if b.lazy == nil {
		return 0
	}
	return len(b.lazy.pages)
}
