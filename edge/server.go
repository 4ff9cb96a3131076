package edge

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vergehq/verge/edge/cache"
	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/internal/purgeapi"
)

// skewVersions is how many earlier versions' fingerprinted assets the
// server keeps answering for, so a tab opened before a deploy, whose HTML
// names the old bundles, never gets a 404.
const skewVersions = 3

// Server serves a store's active version over HTTP as production does:
// the manifest's content types and cache headers, ETags from content
// hashes, conditional and range requests, compression, canonical
// trailing-slash redirects and the site's 404 page. Each request is
// answered from one version, whatever is activated meanwhile; a request
// that starts after an activation sees the new version.
type Server struct {
	store      *Store
	activePath string // the store's active pointer
	comp       *compressor
	origin     *cache.Proxy // forwards function requests; nil: none

	mu     sync.Mutex // serialises loading a version
	cur    atomic.Pointer[served]
	loaded atomic.Value // activeStamp of cur

	gen     *generation   // the store's activation counter
	seenGen atomic.Uint64 // its value when the pointer was last looked at
	statAt  atomic.Int64  // when that was, in Unix nanoseconds
}

// served is one version ready to serve.
type served struct {
	v        *Version
	byPath   map[string]*servedFile // file URL path -> file
	byRoute  map[string]*servedFile // page route ("/posts/a/") -> file
	skew     map[string]*servedFile // fingerprinted assets of recent earlier versions
	notFound *servedFile            // the site's /404.html, if any
	funcs    *http.ServeMux         // the version's function patterns
	// hostFuncs is set when a function pattern names a host: the front
	// end, which does not match hosts, then leaves every request to
	// ServeHTTP.
	hostFuncs bool
}

// servedFile is a manifest file with the response headers that come from
// the manifest, made once when its version loads rather than per request.
type servedFile struct {
	*manifest.File
	header http.Header // Content-Type, Cache-Control, CDN-Cache-Control, Cache-Tag
	fast   fastFile
}

// newServedFile prepares f for serving from the store.
func (sv *Server) newServedFile(f *manifest.File) *servedFile {
	h := http.Header{"Content-Type": {f.ContentType}}
	if f.CacheControl != "" {
		h["Cache-Control"] = []string{f.CacheControl}
	}
	if f.CDNCacheControl != "" {
		h["Cdn-Cache-Control"] = []string{f.CDNCacheControl}
	}
	if tags := f.HeaderTags(); len(tags) > 0 {
		h["Cache-Tag"] = []string{strings.Join(tags, ",")}
	}
	sf := &servedFile{File: f, header: h}
	sf.fast.prepare(sf, sv.store.BlobPath(f.SHA256))
	return sf
}

// activeStamp identifies one write of the active pointer.
type activeStamp struct {
	ino   uint64
	mtime int64
	size  int64
}

// NewServer returns a server for the store's active version.
func NewServer(s *Store) *Server {
	return &Server{store: s, activePath: filepath.Join(s.dir, "active"), comp: newCompressor(s), gen: mapGeneration(s)}
}

// functionCache is the memory the edge's cache in front of the functions
// may use.
const functionCache = 64 << 20

// SetOrigin makes the server forward requests for the version's API
// functions (the manifest's patterns) to origin, where `verge origin`
// runs them, through the edge's shared cache: function responses are
// cached as their policies say. Without an origin such requests get a 502.
func (sv *Server) SetOrigin(origin *url.URL) {
	sv.origin = cache.NewProxy(origin, cache.NewStore(functionCache))
}

// SetTrustedProxies makes the function cache believe forwarding fields
// from these addresses (see cache.Proxy.SetTrustedProxies). It needs an
// origin (SetOrigin).
func (sv *Server) SetTrustedProxies(prefixes []netip.Prefix) {
	if sv.origin != nil {
		sv.origin.SetTrustedProxies(prefixes)
	}
}

// SetPurgeToken opens the purge API of the function cache (see
// cache.Proxy) at purgeapi.Path to requests bearing token. It needs an
// origin (SetOrigin).
func (sv *Server) SetPurgeToken(token string) {
	if sv.origin != nil {
		sv.origin.SetPurgeToken(token)
	}
}

// statEvery bounds how long the server trusts the generation counter
// alone: an activation that did not bump it (a deploy killed between
// the rename and the bump) is seen within this.
const statEvery = int64(time.Second)

// current returns the version to answer a request with. While the
// store's generation counter is unchanged (and the pointer was looked at
// lately) that is the version loaded; otherwise the active pointer
// decides, and a version it names that is not loaded yet is loaded.
func (sv *Server) current() (*served, error) {
	g, mapped := sv.gen.load()
	now := time.Now().UnixNano()
	if cur := sv.cur.Load(); mapped && cur != nil && g == sv.seenGen.Load() && now-sv.statAt.Load() < statEvery {
		return cur, nil
	}
	// The counter is read before the pointer, and deploys bump it after
	// the rename: a version loaded now is at least as new as g says.
	sd, err := sv.byPointer()
	if err == nil {
		sv.seenGen.Store(g)
		sv.statAt.Store(now)
	}
	return sd, err
}

// byPointer returns the version the active pointer names, loading it if
// the pointer changed since the version loaded was.
func (sv *Server) byPointer() (*served, error) {
	stamp, err := sv.stamp()
	if err != nil {
		return nil, err
	}
	if cur := sv.cur.Load(); cur != nil && sv.loaded.Load() == stamp {
		return cur, nil
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if cur := sv.cur.Load(); cur != nil && sv.loaded.Load() == stamp {
		return cur, nil
	}
	id, err := sv.store.Active()
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, errNoVersion
	}
	next, err := sv.load(id)
	if err != nil {
		return nil, err
	}
	sv.cur.Store(next)
	sv.loaded.Store(stamp)
	return next, nil
}

var errNoVersion = errors.New("nothing is deployed yet: run verge deploy")

// stamp identifies the active pointer as it is now, without allocating:
// it runs whenever the generation counter says to look.
func (sv *Server) stamp() (activeStamp, error) {
	var st syscall.Stat_t
	err := syscall.Stat(sv.activePath, &st)
	if errors.Is(err, syscall.ENOENT) {
		return activeStamp{}, nil
	}
	if err != nil {
		return activeStamp{}, &os.PathError{Op: "stat", Path: sv.activePath, Err: err}
	}
	return activeStamp{ino: st.Ino, mtime: st.Mtim.Nano(), size: st.Size}, nil
}

// load prepares version id, with the fingerprinted assets of the few
// versions activated before it.
func (sv *Server) load(id string) (*served, error) {
	v, err := sv.store.Version(id)
	if err != nil {
		return nil, err
	}
	sd := &served{v: v, byPath: map[string]*servedFile{}, byRoute: map[string]*servedFile{}, skew: map[string]*servedFile{}}
	for i := range v.Manifest.Files {
		f := sv.newServedFile(&v.Manifest.Files[i])
		sd.byPath[f.Path] = f
		if f.Route != "" {
			sd.byRoute[f.Route] = f
		}
	}
	sd.notFound = sd.byPath["/404.html"]
	sd.funcs = http.NewServeMux()
	for _, fn := range v.Manifest.Functions {
		registerPattern(sd.funcs, fn.Pattern)
		_, rest, _ := strings.Cut(strings.TrimSpace(fn.Pattern), " ")
		if !strings.HasPrefix(strings.TrimSpace(rest), "/") && !strings.HasPrefix(fn.Pattern, "/") {
			sd.hostFuncs = true
		}
	}
	if len(v.Manifest.Functions) > 0 {
		for _, f := range sd.byPath {
			f.fast.function = sd.matchesFunc(f)
		}
	}
	hist, _ := sv.store.history()
	seen := map[string]bool{id: true}
	for i := len(hist) - 1; i >= 0 && len(seen) <= skewVersions; i-- {
		if seen[hist[i]] {
			continue
		}
		seen[hist[i]] = true
		old, err := sv.store.Version(hist[i])
		if err != nil {
			continue // collected
		}
		for j := range old.Manifest.Files {
			f := &old.Manifest.Files[j]
			if f.Kind == manifest.KindAsset && sd.byPath[f.Path] == nil && sv.store.hasBlob(f.SHA256, f.Size) {
				sd.skew[f.Path] = sv.newServedFile(f)
			}
		}
	}
	return sd, nil
}

// ServeHTTP answers GET and HEAD from the active version, and forwards
// requests for its API functions to the origin.
func (sv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	sd, err := sv.current()
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errNoVersion) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), status)
		return
	}
	if r.URL.EscapedPath() == purgeapi.Path && sv.origin != nil {
		sv.origin.ServeHTTP(w, r)
		return
	}
	if h, pattern := sd.funcs.Handler(r); pattern != "" {
		if _, ok := h.(funcRoute); !ok {
			// The mux matched a pattern only after cleaning the path or
			// adding a slash, and says where to go: the origin gets only
			// a path exactly as the edge routed it.
			h.ServeHTTP(w, r)
			return
		}
		if sv.origin == nil {
			http.Error(w, "no origin to run "+pattern+" (verge edge --functions URL)", http.StatusBadGateway)
			return
		}
		if sd.hostFuncs {
			sv.origin.ServeKeepingHost(w, r) // the origin routes on Host as the edge did
			return
		}
		sv.origin.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	// Only the clean form of a path is served: no file is ever looked up
	// from the request's path on disk (files come from the manifest by
	// exact match), and a path with ".." or "//" gets one canonical URL.
	if clean := cleanPath(p); clean != p {
		redirect(w, r, clean)
		return
	}
	if f := sd.byRoute[p]; f != nil {
		sv.serveFile(w, r, f, http.StatusOK)
		return
	}
	if f := sd.byPath[p]; f != nil {
		if dir, ok := strings.CutSuffix(p, "/index.html"); ok && sd.byRoute[dir+"/"] == f {
			redirect(w, r, dir+"/") // a page has one URL
			return
		}
		sv.serveFile(w, r, f, http.StatusOK)
		return
	}
	if !strings.HasSuffix(p, "/") && (sd.byRoute[p+"/"] != nil || sd.byPath[p+"/index.html"] != nil) {
		redirect(w, r, p+"/")
		return
	}
	if strings.HasSuffix(p, "/") {
		if f := sd.byPath[p+"index.html"]; f != nil { // a static directory index
			sv.serveFile(w, r, f, http.StatusOK)
			return
		}
	}
	if f := sd.skew[p]; f != nil {
		sv.serveFile(w, r, f, http.StatusOK)
		return
	}
	if sd.notFound != nil {
		sv.serveFile(w, r, sd.notFound, http.StatusNotFound)
		return
	}
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// registerPattern adds a function's pattern to mux; a pattern the mux
// refuses (the build validated them) is left out rather than panicking.
func registerPattern(mux *http.ServeMux, pattern string) {
	defer func() { _ = recover() }()
	mux.Handle(pattern, funcRoute{})
}

// funcRoute is the handler of a function's pattern in served.funcs: the
// mux returns it only for a request it matched as sent, not one it would
// redirect (a path to clean, a missing trailing slash).
type funcRoute struct{}

func (funcRoute) ServeHTTP(http.ResponseWriter, *http.Request) {}

// cleanPath is p with "." and ".." resolved and slashes single, keeping
// a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// redirect answers 301 to the path to, escaped: a path such as "/\\evil.com"
// must not reach Location as written, where browsers would read "//".
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	loc := (&url.URL{Path: to}).EscapedPath()
	if strings.HasPrefix(loc, "//") {
		loc = "/" + strings.TrimLeft(loc, "/")
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusMovedPermanently)
}

// securityHeaders are sent with every response.
func securityHeaders(h http.Header) {
	// Shared, canonical values assigned directly: this runs per request.
	h["X-Content-Type-Options"] = nosniff
	h["Referrer-Policy"] = referrerPolicy
	h["X-Frame-Options"] = sameOrigin
	h["Cross-Origin-Opener-Policy"] = coop
}

var (
	nosniff        = []string{"nosniff"}
	referrerPolicy = []string{"strict-origin-when-cross-origin"}
	sameOrigin     = []string{"SAMEORIGIN"}
	coop           = []string{"same-origin"}
)

// serveFile answers with f's blob (or its compressed form), its headers
// from the manifest, and status (200, or 404 for the 404 page).
func (sv *Server) serveFile(w http.ResponseWriter, r *http.Request, f *servedFile, status int) {
	h := w.Header()
	// The body first: no cache header may go out with an error.
	blob, etag, err := sv.comp.variant(f, r.Header.Get("Accept-Encoding"), h)
	if errors.Is(err, fs.ErrNotExist) {
		h.Del("Vary")
		h.Del("Content-Encoding")
		http.Error(w, "404 page not found", http.StatusNotFound) // collected since the version loaded
		return
	}
	if err != nil {
		h.Del("Vary")
		h.Del("Content-Encoding")
		http.Error(w, fmt.Sprintf("read %s: %v", f.Path, err), http.StatusInternalServerError)
		return
	}
	defer blob.close()
	// Shared between responses: net/http only reads them.
	for k, v := range f.header {
		h[k] = v
	}
	if status != http.StatusOK {
		// The 404 page: no conditional or range handling.
		h["Content-Length"] = []string{strconv.FormatInt(blob.size, 10)}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, blob)
		}
		return
	}
	h["Etag"] = []string{etag}
	if blob.data != nil && r.Method == http.MethodGet && plainRequest(r.Header) {
		// The common case, without ServeContent's parsing of
		// preconditions and ranges the request does not have.
		h["Accept-Ranges"] = acceptRanges
		h["Content-Length"] = []string{strconv.Itoa(len(blob.data))}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(blob.data)
		return
	}
	// ServeContent answers If-None-Match with 304, Range with 206, and
	// HEAD without a body.
	http.ServeContent(w, r, "", time.Time{}, blob)
}

var acceptRanges = []string{"bytes"}

// plainRequest reports a request without preconditions or a range.
func plainRequest(h http.Header) bool {
	for _, k := range []string{"Range", "If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"} {
		if _, ok := h[k]; ok {
			return false
		}
	}
	return true
}
