// Package devserve runs `verge serve`: it keeps a site program serving
// from memory while its Go and templ sources change. The site program
// (site.Main's "serve") watches content, data and assets itself; this
// package watches the code. A text-only .templ edit is applied through
// templ's dev mode without recompiling; any other code change regenerates,
// recompiles and starts a new program, which takes over the listening
// socket once it has built the site, so no request is refused in between.
// A compile error leaves the running program serving and shows the error
// in the browser through it.
package devserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/gosite"
	"github.com/vergehq/verge/internal/protocol"
	"github.com/vergehq/verge/internal/watch"
)

// Options configure Run.
type Options struct {
	Dir    string // the site's directory
	Port   int    // on 127.0.0.1; 0 means protocol.DefaultPort
	Stdout io.Writer
	Stderr io.Writer
}

// resolve fills in the default port and returns the site's absolute
// directory and its compile cache.
func (o *Options) resolve() (root, cache string, err error) {
	if o.Port == 0 {
		o.Port = protocol.DefaultPort
	}
	if root, err = filepath.Abs(o.Dir); err != nil {
		return "", "", err
	}
	cache, err = gosite.CacheDir(root)
	return root, cache, err
}

// Run serves the site until ctx is done.
func Run(ctx context.Context, opts Options) error {
	root, cache, err := opts.resolve()
	if err != nil {
		return err
	}
	ln, err := protocol.Listen(opts.Port)
	if err != nil {
		return err
	}
	// The socket outlives every site program: each gets a copy of it, and
	// connections that arrive while none accepts wait in its backlog.
	sock, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return err
	}
	defer sock.Close()
	textDir, err := os.MkdirTemp("", "verge-templ-text-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(textDir)
	gen, err := gosite.NewDevGenerator(root, textDir)
	if err != nil {
		return err
	}
	w, err := watch.New([]string{root}, watch.Options{Skip: skipDir})
	if err != nil {
		return err
	}
	defer w.Close()

	sv := &supervisor{root: root, cache: cache, sock: sock, textDir: textDir, gen: gen, out: opts.Stdout, errOut: opts.Stderr}
	defer sv.stop()
	sv.update(ctx, true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case b, ok := <-w.Batches():
			if !ok {
				return errors.New("file watcher stopped")
			}
			if templ, goFiles := codeChanged(b.Paths); b.Rescan || templ || goFiles {
				sv.update(ctx, b.Rescan || goFiles)
			}
		case <-sv.exited():
			err := sv.proc.err
			sv.proc = nil
			sv.fail("run", fmt.Errorf("the site program stopped (%v); it starts again when you change its code", err))
		}
	}
}

// skipDir leaves out directories that hold no Go or templ code: the site
// program watches content and assets itself.
func skipDir(p string, isDir bool) bool {
	if !isDir {
		return false
	}
	switch filepath.Base(p) {
	case ".git", "node_modules", "dist", "content", "data", "static", "assets", "vendor", "testdata":
		return true
	}
	return false
}

// codeChanged reports whether .templ files, or other code the program is
// built from, are among paths. Generated _templ.go files are left out:
// they follow their .templ file, which this package regenerates itself.
func codeChanged(paths []string) (templ, goFiles bool) {
	for _, p := range paths {
		base := filepath.Base(p)
		switch {
		case strings.HasSuffix(base, "_templ.go"):
		case strings.HasSuffix(base, ".templ"):
			templ = true
		case strings.HasSuffix(base, ".go"), base == "go.mod", base == "go.sum":
			goFiles = true
		}
	}
	return templ, goFiles
}

// supervisor owns the running site program.
type supervisor struct {
	root, cache, textDir string
	sock                 *os.File
	gen                  *gosite.DevGenerator
	out, errOut          io.Writer
	proc                 *process
	shownErrs            bool // the running program shows our errors
	errSrv               *errorServing
}

// errorServing is the error page served while no site program runs.
type errorServing struct {
	es  *devserver.ErrorServer
	srv *http.Server
}

// showErrors serves items on the socket while no program does.
func (sv *supervisor) showErrors(items []*diag.Diagnostic) {
	if sv.errSrv == nil {
		ln, err := net.FileListener(sv.sock) // a copy: closing it leaves the socket open
		if err != nil {
			return
		}
		es := devserver.NewErrorServer(sv.root)
		srv := &http.Server{Handler: es, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		sv.errSrv = &errorServing{es: es, srv: srv}
		fmt.Fprintf(sv.out, "serving http://%s/  (no site program runs: the page shows why, and reloads when it is fixed)\n", ln.Addr())
	}
	sv.errSrv.es.SetErrors(items)
}

// stopErrors stops the error page, closing its event streams: the pages
// reconnect to the program that now serves, and reload.
func (sv *supervisor) stopErrors() {
	if sv.errSrv != nil {
		sv.errSrv.srv.Close()
		sv.errSrv = nil
	}
}

// exited is closed when the running program exits; nil (never ready)
// when none runs.
func (sv *supervisor) exited() <-chan struct{} {
	if sv.proc == nil {
		return nil
	}
	return sv.proc.done
}

// update regenerates the templ code and applies what changed: templ text
// to the running program, anything else (goFiles: Go code changed) by
// compiling and restarting it.
func (sv *supervisor) update(ctx context.Context, goFiles bool) {
	res, err := sv.gen.Generate()
	if err != nil {
		sv.fail("templ", err)
		return
	}
	if sv.proc != nil && !goFiles && !res.GoChanged {
		if res.TextChanged {
			sv.proc.send(protocol.ControlMsg{Type: protocol.ControlTempl})
		}
		sv.clear()
		return
	}
	start := time.Now()
	bin, err := gosite.Compile(ctx, sv.root, sv.cache)
	if err != nil {
		if ctx.Err() == nil {
			sv.fail("compile", err)
		}
		return
	}
	if sv.proc != nil && sv.proc.bin == bin {
		// The program is the same (a comment changed, say); templ text
		// may still have.
		if res.TextChanged {
			sv.proc.send(protocol.ControlMsg{Type: protocol.ControlTempl})
		}
		sv.clear()
		return
	}
	if sv.proc != nil {
		fmt.Fprintf(sv.errOut, "compiled in %s; starting the new site program\n", time.Since(start).Round(time.Millisecond))
	}
	p, err := startProcess(sv, bin)
	if err != nil {
		sv.fail("start", err)
		return
	}
	select {
	case <-p.ready:
	case <-p.done:
		sv.fail("start", fmt.Errorf("the site program exited before serving: %v", p.err))
		return
	case <-ctx.Done():
		p.stop()
		return
	}
	old := sv.proc
	sv.proc, sv.shownErrs = p, false
	sv.stopErrors()
	if old != nil {
		old.stop() // its pages reconnect to the new program and reload
	}
}

// fail reports an error in the terminal and, through the running program,
// in the browser.
func (sv *supervisor) fail(stage string, err error) {
	var l *diag.List
	var items []*diag.Diagnostic
	if errors.As(err, &l) {
		items = l.Items()
		fmt.Fprintf(sv.errOut, "%s failed, %s\nThe last good program keeps serving.\n", stage, l.Error())
	} else {
		items = []*diag.Diagnostic{{Msg: fmt.Sprintf("%s: %v", stage, err)}}
		fmt.Fprintf(sv.errOut, "%s failed: %v\n", stage, err)
	}
	if sv.proc != nil {
		sv.proc.send(protocol.ControlMsg{Type: protocol.ControlErrors, Errors: items})
		sv.shownErrs = true
	} else {
		sv.showErrors(items)
	}
}

// clear removes errors this supervisor showed.
func (sv *supervisor) clear() {
	if sv.proc != nil && sv.shownErrs {
		sv.proc.send(protocol.ControlMsg{Type: protocol.ControlClear})
		sv.shownErrs = false
	}
}

func (sv *supervisor) stop() {
	sv.stopErrors()
	if sv.proc != nil {
		sv.proc.stop()
		sv.proc = nil
	}
}
