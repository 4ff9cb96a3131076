package devserver

// This file holds the dev server's HTTP half: it serves the current
// in-memory build, rebuilds it from changes, and tells open pages what
// changed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/manifest"
)

// devServer serves the dev server's current build from memory, with the
// site's API functions, and keeps open pages current through the hub.
type devServer struct {
	root     string
	builder  *engine.DevBuilder
	hub      *hub
	instance string // this process, so pages notice a restart
	log      io.Writer
	funcs    Functions

	mu        sync.RWMutex
	cur       *engine.DevBuild   // the build being served; nil before the first
	buildErrs []*diag.Diagnostic // why the last rebuild failed; nil when it did not
	extErrs   []*diag.Diagnostic // reported by the verge CLI (a compile error)
}

func newDevServer(o Options, log io.Writer) *devServer {
	ds := &devServer{root: o.Site.Root, builder: engine.NewDevBuilder(o.Site, o.Key), hub: newHub(), log: log,
		instance: strconv.FormatInt(time.Now().UnixNano(), 36)}
	// The dev server logs function failures, not every call.
	flog := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ds.funcs = o.Functions(flog, func() *engine.Build {
		if cur := ds.current(); cur != nil {
			return cur.Content()
		}
		return nil
	})
	return ds
}

// current returns the build being served.
func (ds *devServer) current() *engine.DevBuild {
	ds.mu.RLock()
	defer ds.mu.RUnlock()
	return ds.cur
}

// errors returns what the overlay should show, build errors first.
func (ds *devServer) errors() []*diag.Diagnostic {
	ds.mu.RLock()
	defer ds.mu.RUnlock()
	return append(append([]*diag.Diagnostic(nil), ds.buildErrs...), ds.extErrs...)
}

// rebuild applies ch to the build being served and serves the result: first with the pages that matter now (those open in a browser,
// or all of them when few changed), then complete. ready, if not nil, is
// called as soon as the first part serves. Completing gives up when
// newer reports changes: the next rebuild starts from the part served.
// rebuild reports whether ch was applied: the build succeeded and
// serves, complete or not (a failed build leaves ch to the next one).
func (ds *devServer) rebuild(ctx context.Context, ch *engine.ChangeSet, ready func(), newer func() bool) bool {
	// The build served now is the base, complete or not: an edit made
	// while pages remain to render costs what it changes, and what the
	// browsers are told is against what they were served.
	base := ds.current()
	res := ds.builder.Build(ctx, base, ch, ds.openPages())
	if res.Build == nil {
		ds.failed(res)
		return false
	}
	ds.swap(base, res, "rebuilt", true)
	if ready != nil {
		ready()
	}
	if res.Build.Lazy() > 0 {
		if base != nil {
			ds.headStart(newer)
		}
		fin := ds.builder.Complete(base, res.Build, res.Rendered, newer)
		if fin.Stopped {
			return true
		}
		if fin.Build == nil {
			ds.failed(fin)
			return true
		}
		// The first build's completion has nothing to announce: nothing
		// was served before it to differ from.
		ds.swap(base, fin, "completed", base != nil)
		res = fin
	}
	ds.mu.Lock()
	hadErrs := len(ds.buildErrs) > 0
	ds.buildErrs = nil
	ds.mu.Unlock()
	if hadErrs {
		ds.sendErrors() // "ok" when nothing is left to show
	}
	return true
}

// headStartFor is how long the background render waits after a change
// was announced to open pages.
const headStartFor = 150 * time.Millisecond

// headStart gives the browsers just told of a change the machine to
// fetch and apply it before the background render takes it back: on a
// small machine the render competes with the browser and slows down the
// very edit the developer waits to see. It returns early when newer
// changes arrive, and at once when no page is open.
func (ds *devServer) headStart(newer func() bool) {
	if len(ds.hub.paths()) == 0 {
		return
	}
	for deadline := time.Now().Add(headStartFor); time.Now().Before(deadline) && !newer(); {
		time.Sleep(5 * time.Millisecond)
	}
}

// openPages are the output paths of the pages open in browsers.
func (ds *devServer) openPages() map[string]bool {
	out := map[string]bool{}
	for p := range ds.hub.paths() {
		out["/"+engine.OutputPath(p)] = true
	}
	return out
}

// swap serves res's build, logs it as what, and, if announce, tells the
// open pages what changed.
func (ds *devServer) swap(base *engine.DevBuild, res engine.DevResult, what string, announce bool) {
	ds.mu.Lock()
	ds.cur = res.Build
	ds.mu.Unlock()
	var phases []string
	for _, p := range res.Phases {
		phases = append(phases, fmt.Sprintf("%s %s", p.Name, p.Duration.Round(100*time.Microsecond)))
	}
	pending := ""
	if res.Build.Lazy() > 0 {
		pending = fmt.Sprintf(", %d more to render", res.Build.Lazy())
	}
	ds.logf("%s in %s: %d pages rendered%s, %d changed, %d assets changed (%s)", what, res.Took.Round(time.Millisecond),
		len(res.Rendered), pending, len(res.Changed), len(res.Assets), strings.Join(phases, ", "))
	if announce {
		ds.notify(base, res)
	}
}

// failed shows why a build failed; the last good one keeps serving.
func (ds *devServer) failed(res engine.DevResult) {
	items := res.Errs.Items()
	ds.mu.Lock()
	ds.buildErrs = items
	ds.mu.Unlock()
	ds.logf("build failed with %d error(s); still serving the last good build", len(items))
	for _, d := range items {
		ds.logf("  %s", strings.ReplaceAll(d.Error(), "\n", "\n  "))
	}
	ds.sendErrors()
}

// logf prints a line for the developer watching the terminal.
func (ds *devServer) logf(format string, args ...any) {
	fmt.Fprintf(ds.log, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// notify tells each open page what happened to it.
func (ds *devServer) notify(old *engine.DevBuild, res engine.DevResult) {
	seq := res.Build.Seq()
	if old == nil {
		// The first good build after failing ones: every page is new.
		ds.hub.send(nil, liveMsg{Type: "reload"})
		return
	}
	changed := map[string]bool{}
	for _, r := range res.Changed {
		changed["/"+engine.OutputPath(r)] = true
	}
	var css, other []string
	for _, f := range res.Assets {
		if strings.HasPrefix(f.ContentType, "text/css") {
			css = append(css, f.Path)
		} else {
			other = append(other, f.Path)
		}
	}
	// A page whose HTML changed gets it (or, if it is not a page's, says
	// to fetch it) and updates in place, then swaps the stylesheets that
	// changed with it; the other pages swap the stylesheets they have.
	// Either reloads for another changed file it references.
	for p := range ds.hub.paths() {
		if changed["/"+engine.OutputPath(p)] {
			ds.hub.send(func(c *liveClient) bool { return c.path == p },
				liveMsg{Type: "page", HTML: string(servedHTML(res.Build, p)), Paths: css, Assets: other, Seq: seq})
		}
	}
	notChanged := func(c *liveClient) bool { return !changed["/"+engine.OutputPath(c.path)] }
	if len(css) > 0 {
		ds.hub.send(notChanged, liveMsg{Type: "css", Paths: css, Seq: seq})
	}
	if len(other) > 0 {
		ds.hub.send(notChanged, liveMsg{Type: "assets", Paths: other, Seq: seq})
	}
}

// sendErrors shows the current errors on every page, or clears them.
func (ds *devServer) sendErrors() {
	ds.hub.send(nil, ds.errorMsg())
}

func (ds *devServer) errorMsg() liveMsg {
	if errs := ds.errors(); len(errs) > 0 {
		return liveMsg{Type: "errors", Errors: liveErrors(ds.root, errs)}
	}
	return liveMsg{Type: "ok"}
}

// ServeHTTP serves the live-reload endpoints, the API functions, and the
// build's pages, assets and static files.
func (ds *devServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if serveClient(w, r.URL.Path) {
		return
	}
	switch r.URL.Path {
	case eventsPath:
		ds.hub.serveEvents(w, r, []liveMsg{{Type: "hello", Instance: ds.instance}, ds.errorMsg()})
		return
	case statePath:
		ds.serveState(w, r.URL.Query().Get("pages") == "1")
		return
	}
	if ds.funcs.Match(r) {
		ds.funcs.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	cur := ds.current()
	if cur == nil {
		// No good build yet: a page that shows the errors and reloads
		// when they are fixed.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "<!doctype html><html><head><title>Build failed</title>%s</head><body></body></html>", liveScript)
		return
	}
	p := r.URL.Path
	pg, err := cur.Page("/" + engine.OutputPath(p))
	if err != nil {
		ds.renderFailed(w, p, err)
		return
	}
	if pg != nil && (strings.HasSuffix(p, "/") || pg.Job.Route == p) {
		ds.servePage(w, r, pg, http.StatusOK)
		return
	}
	if !strings.HasSuffix(p, "/") {
		if dir, _ := cur.Page("/" + engine.OutputPath(p+"/")); dir != nil || cur.Files()[p+"/index.html"] != nil {
			// Pages live at their directory URL, as the edge serves them.
			target := p + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
	}
	f := cur.Files()[p]
	if f == nil && strings.HasSuffix(p, "/") {
		f = cur.Files()[p+"index.html"]
	}
	if f != nil {
		w.Header().Set("Content-Type", f.ContentType)
		if strings.HasPrefix(f.ContentType, "text/html") {
			w.Write(injectLive(f.Data))
			return
		}
		// Revalidated on every load, answered 304 while unchanged: a
		// reload then costs the browser no new download or parse.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"`+f.Integrity+`"`)
		http.ServeContent(w, r, path.Base(p), time.Time{}, bytes.NewReader(f.Data))
		return
	}
	if pg, _ := cur.Page("/404.html"); pg != nil {
		ds.servePage(w, r, pg, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "<!doctype html><html><head><title>Not found</title>%s</head><body><h1>404: %s is not in the build</h1></body></html>",
		liveScript, html.EscapeString(p))
}

// DevState is what /_verge/state reports: the build being served, for
// tools and tests that need to know when the server has caught up.
// Pages and Files are filled only when asked for (?pages=1): hashing a
// large site's every page takes a while.
type DevState struct {
	Build    int               `json:"build"`    // counts good builds
	Complete bool              `json:"complete"` // every page rendered (some render on demand until then)
	Errors   int               `json:"errors"`   // problems the overlay shows
	Pages    map[string]string `json:"pages"`    // route -> SHA-256 of the HTML
	Files    map[string]string `json:"files"`    // asset or static URL path -> SHA-256
}

func (ds *devServer) serveState(w http.ResponseWriter, hashes bool) {
	st := DevState{Errors: len(ds.errors()), Pages: map[string]string{}, Files: map[string]string{}}
	cur := ds.current()
	if cur != nil {
		st.Build, st.Complete = cur.Seq(), cur.Lazy() == 0
	}
	if cur != nil && hashes {
		for _, pg := range cur.Pages() {
			st.Pages[pg.Job.Route] = manifest.SHA256(pg.HTML)
		}
		for p, f := range cur.Files() {
			st.Files[p] = manifest.SHA256(f.Data)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// renderFailed answers for a page that failed to render on demand; the
// overlay shows the error with the others once the build completes.
func (ds *devServer) renderFailed(w http.ResponseWriter, p string, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "<!doctype html><html><head><title>Render failed</title>%s</head><body><h1>%s failed to render</h1><pre>%s</pre></body></html>",
		liveScript, html.EscapeString(p), html.EscapeString(err.Error()))
}

func (ds *devServer) servePage(w http.ResponseWriter, r *http.Request, pg *engine.DevPage, status int) {
	w.Header().Set("Content-Type", engine.PageContentType(pg.Job.Route))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if isHTMLRoute(pg.Job.Route) {
		w.Write(injectLive(pg.HTML))
		return
	}
	w.Write(pg.HTML)
}

// servedHTML is what ServeHTTP answers for URL path p when that is a
// rendered HTML page's, and nil otherwise (a redirect, a file, a 404, a
// page that fails to render): the live-reload client fetches those.
func servedHTML(cur *engine.DevBuild, p string) []byte {
	pg, err := cur.Page("/" + engine.OutputPath(p))
	if err != nil || pg == nil || !(strings.HasSuffix(p, "/") || pg.Job.Route == p) || !isHTMLRoute(pg.Job.Route) {
		return nil
	}
	return injectLive(pg.HTML)
}

func isHTMLRoute(route string) bool {
	return strings.HasSuffix(route, "/") || strings.HasSuffix(route, ".html")
}
