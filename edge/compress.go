package edge

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"

	"github.com/vergehq/verge/internal/fsatomic"
)

// minCompress is the smallest body worth compressing: below it the
// encoding's framing eats the gain.
const minCompress = 256

// compressor picks a response's encoding and keeps each blob's br and
// gzip forms beside it in the store, made once, on the first request
// that wants them: the store then serves them like any file.
type compressor struct {
	store *Store
	mu    sync.Mutex
	busy  map[string]*sync.WaitGroup // variant path -> compression in progress

	// mem keeps small files' bytes: blobs never change, so a copy in
	// memory is always right, and saves an open, a stat and a close per
	// request.
	mem     sync.Map // path -> []byte
	memUsed atomic.Int64
}

// In-memory copies: files up to memFile bytes, memBudget in all.
const (
	memFile   = 256 << 10
	memBudget = 128 << 20
)

func newCompressor(s *Store) *compressor {
	return &compressor{store: s, busy: map[string]*sync.WaitGroup{}}
}

// body is a representation to send.
type body struct {
	io.ReadSeeker
	size  int64
	data  []byte // the whole content, when held in memory
	close func()
}

// open returns the file at path, from memory when it is small.
func (c *compressor) open(path string) (body, error) {
	if data, ok := c.mem.Load(path); ok {
		b := data.([]byte)
		return body{bytes.NewReader(b), int64(len(b)), b, func() {}}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return body{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return body{}, err
	}
	if st.Size() <= memFile && c.memUsed.Load()+st.Size() <= memBudget {
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return body{}, err
		}
		if _, loaded := c.mem.LoadOrStore(path, data); !loaded {
			c.memUsed.Add(int64(len(data)))
		}
		return body{bytes.NewReader(data), int64(len(data)), data, func() {}}, nil
	}
	return body{f, st.Size(), nil, func() { f.Close() }}, nil
}

// variant opens the representation of f to send for an Accept-Encoding
// value: br or gzip when the client accepts it and f is worth
// compressing, else the blob as is. It sets Vary and Content-Encoding in
// h and returns the strong ETag of that representation.
func (c *compressor) variant(f *servedFile, accept string, h http.Header) (body, string, error) {
	ff := &f.fast
	i := ff.pick(accept)
	if ff.compressible {
		h["Vary"] = varyAcceptEncoding
	}
	if i > 0 {
		if err := c.ensure(ff.paths[0], ff.paths[i], encodings[i].short); err != nil {
			return body{}, "", err
		}
	}
	b, err := c.open(ff.paths[i])
	if err != nil {
		return body{}, "", err
	}
	if i > 0 {
		h["Content-Encoding"] = contentEncoding[encodings[i].short]
	}
	return b, ff.etags[i], nil
}

var (
	varyAcceptEncoding = []string{"Accept-Encoding"}
	contentEncoding    = map[string][]string{"br": {"br"}, "gz": {"gzip"}}
)

// ensure makes the compressed form p of blob if it is not there yet; one
// caller compresses while others for the same variant wait.
func (c *compressor) ensure(blob, p, enc string) error {
	if _, ok := c.mem.Load(p); ok {
		return nil
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	c.mu.Lock()
	if wg := c.busy[p]; wg != nil {
		c.mu.Unlock()
		wg.Wait()
		if _, err := os.Stat(p); err == nil {
			return nil
		}
		return c.compress(blob, p, enc) // the other attempt failed: try ourselves
	}
	wg := &sync.WaitGroup{}
	wg.Add(1)
	c.busy[p] = wg
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.busy, p)
		c.mu.Unlock()
		wg.Done()
	}()
	return c.compress(blob, p, enc)
}

func (c *compressor) compress(blob, p, enc string) error {
	data, err := os.ReadFile(blob)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	var w io.WriteCloser
	if enc == "br" {
		// Quality 8: most of q11's gain at many times its speed, which
		// matters for the first request of each page after a deploy.
		w = brotli.NewWriterLevel(&buf, 8)
	} else {
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// Beside the blob rather than in tmp/, which a deploy clears: the
	// server writes without the store's lock. A leftover starts with ".",
	// and collect removes it once old.
	return fsatomic.WriteFile(p, buf.Bytes())
}

// negotiate picks "br" or "gz" from an Accept-Encoding header, or "".
// Only an explicit q=0 refuses an encoding.
func negotiate(accept string) string {
	// Scanned in place: this runs on every request for a page.
	var br, gz, star float64
	var hasBr, hasGz, hasStar bool
	for accept != "" {
		var part string
		part, accept, _ = strings.Cut(accept, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		val := 1.0
		if k, v, ok := strings.Cut(params, "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				val = f
			}
		}
		switch {
		case strings.EqualFold(name, "br"):
			br, hasBr = val, true
		case strings.EqualFold(name, "gzip"):
			gz, hasGz = val, true
		case name == "*":
			star, hasStar = val, true
		}
	}
	if !hasBr && hasStar {
		br, hasBr = star, true
	}
	if !hasGz && hasStar {
		gz, hasGz = star, true
	}
	switch {
	case hasBr && br > 0:
		return "br"
	case hasGz && gz > 0:
		return "gz"
	}
	return ""
}
