package edge

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/vergehq/verge/edge/cache"
	"github.com/vergehq/verge/edge/front"
	"github.com/vergehq/verge/internal/httpcache"
	"github.com/vergehq/verge/internal/purgeapi"
)

// Respond answers, for the front end, a plain GET or HEAD for a page or
// file of the active version whose bytes are in memory, as ServeHTTP
// would: the same status, fields and body. Anything else (a range, a
// precondition other than If-None-Match, a redirect, a 404, a function,
// a file not yet in memory or compressed) it declines, for ServeHTTP.
func (sv *Server) Respond(w *front.Writer, r *front.Request) bool {
	for _, name := range []string{"Range", "If-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"} {
		if r.Has(name) {
			return false
		}
	}
	sd, err := sv.current()
	if err != nil || sd.hostFuncs {
		return false
	}
	p := r.Path
	f := sd.byRoute[p]
	if f == nil && !strings.HasSuffix(p, "/index.html") { // else maybe a page's second URL: ServeHTTP redirects
		f = sd.byPath[p]
	}
	if (f == nil || f.fast.function) && sv.origin != nil && p != purgeapi.Path &&
		len(sd.v.Manifest.Functions) > 0 && sd.matchesPattern(r.Method, p) {
		if !cleanForm(p) {
			return false // ServeHTTP redirects it to its clean form
		}
		// A function's answer, if the cache has it fresh, with the
		// security fields ServeHTTP adds to everything.
		w.Preset(securityFields)
		return sv.origin.Respond(w, r)
	}
	if f == nil || f.fast.function || !cleanForm(p) {
		return false
	}
	ae, _ := r.Header("Accept-Encoding")
	v, ok := sv.comp.memVariant(f, string(ae))
	if !ok {
		return false
	}
	match := false
	if inm, ok := r.Header("If-None-Match"); ok {
		match = cache.MatchesETag(string(inm), v.etag)
	}
	if match {
		w.StatusLine(http.StatusNotModified)
	} else {
		w.StatusLine(http.StatusOK)
	}
	w.Raw(f.fastHead(match))
	if v.vary {
		w.Header("Vary", "Accept-Encoding")
	}
	if v.encoding != "" && !match {
		w.Header("Content-Encoding", v.encoding)
	}
	w.Header("Etag", v.etag)
	if match {
		w.EndHeaders()
		return true
	}
	w.Header("Accept-Ranges", "bytes")
	w.ContentLength(len(v.data))
	if r.HeadOnly() {
		w.EndHeaders()
		return true
	}
	w.Body(v.data)
	return true
}

// cleanForm reports whether p is its own clean form (see cleanPath),
// without allocating.
func cleanForm(p string) bool {
	return !strings.Contains(p, "//") && !strings.Contains(p, "/./") && !strings.Contains(p, "/../") &&
		!strings.HasSuffix(p, "/.") && !strings.HasSuffix(p, "/..")
}

// fastHead is f's fields as the front end writes them: the security
// headers and the manifest's, made once per file. Those of a 304 leave
// out Content-Type, as ServeContent does.
func (f *servedFile) fastHead(notModified bool) []byte {
	if notModified {
		return f.fast.head304
	}
	return f.fast.head200
}

// fastFile is what the front end needs of a file, made when its version
// loads so that a request allocates nothing.
type fastFile struct {
	function         bool      // a function pattern matches the file's URL: ServeHTTP forwards it
	compressible     bool      // served br or gzip when accepted
	paths            [3]string // the blob, and its br and gzip forms, in the store
	etags            [3]string
	mem              [3]atomic.Pointer[[]byte] // their bytes, once found in memory
	large            [3]atomic.Bool            // too large to hold in memory: left to ServeHTTP
	head200, head304 []byte
}

// encodings are the representations a file may have, in fastFile's order.
var encodings = [3]struct{ short, name string }{{"", ""}, {"br", "br"}, {"gz", "gzip"}}

// prepare fills ff for f, whose blob is at blob.
func (ff *fastFile) prepare(f *servedFile, blob string) {
	ff.compressible = httpcache.Compressible(f.ContentType) && f.Size >= minCompress
	tag := f.SHA256
	if len(tag) > 32 {
		tag = tag[:32]
	}
	for i, enc := range encodings {
		ff.paths[i], ff.etags[i] = blob, `"`+tag+`"`
		if enc.short != "" {
			ff.paths[i] += "." + enc.short
			ff.etags[i] = `"` + tag + "-" + enc.short + `"`
		}
	}
	h := http.Header{}
	securityHeaders(h)
	for k, v := range f.header {
		h[k] = v
	}
	ff.head200 = formatFields(h)
	delete(h, "Content-Type")
	ff.head304 = formatFields(h)
}

// pick is the index in encodings of the representation to send for an
// Accept-Encoding value.
func (ff *fastFile) pick(accept string) int {
	if !ff.compressible {
		return 0
	}
	switch negotiate(accept) {
	case "br":
		return 1
	case "gz":
		return 2
	}
	return 0
}

// matchesFunc reports whether a function pattern of sd matches a GET or
// HEAD for f's route or path: ServeHTTP forwards those.
func (sd *served) matchesFunc(f *servedFile) bool {
	for _, p := range []string{f.Route, f.Path} {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			if p != "" && sd.matchesPattern(m, p) {
				return true
			}
		}
	}
	return false
}

// matchesPattern reports whether a function pattern of sd matches a
// request for path with method.
func (sd *served) matchesPattern(method, path string) bool {
	r, err := http.NewRequest(method, path, nil)
	if err != nil {
		return true // cannot tell: leave it to ServeHTTP
	}
	_, pattern := sd.funcs.Handler(r)
	return pattern != ""
}

// memBody is a representation held in memory.
type memBody struct {
	data           []byte
	etag, encoding string
	vary           bool
}

// memVariant is variant for the front end: f's representation for the
// Accept-Encoding value accept, if its bytes are in memory.
func (c *compressor) memVariant(f *servedFile, accept string) (memBody, bool) {
	ff := &f.fast
	i := ff.pick(accept)
	data := ff.mem[i].Load()
	if data == nil && ff.large[i].Load() {
		return memBody{}, false
	}
	if data == nil {
		// The first request for this representation: make it (compress
		// it, once) and read it, as ServeHTTP would. Declining instead
		// would hand this connection to net/http for good, and the first
		// requests after a deploy come on every connection at once.
		if i > 0 {
			if err := c.ensure(ff.paths[0], ff.paths[i], encodings[i].short); err != nil {
				return memBody{}, false
			}
		}
		b, err := c.open(ff.paths[i])
		if err != nil {
			return memBody{}, false
		}
		b.close()
		if b.data == nil {
			ff.large[i].Store(true)
			return memBody{}, false // too large to hold: ServeHTTP streams it
		}
		ff.mem[i].Store(&b.data)
		data = &b.data
	}
	return memBody{data: *data, etag: ff.etags[i], encoding: encodings[i].name, vary: ff.compressible}, true
}

// securityFields are securityHeaders as a head's lines.
var securityFields = func() []byte {
	h := http.Header{}
	securityHeaders(h)
	return formatFields(h)
}()

// formatFields formats h as a head's lines.
func formatFields(h http.Header) []byte {
	var b strings.Builder
	_ = h.Write(&b)
	return []byte(b.String())
}
