package engine

// This file holds the facts file of a build to disk (manifest.FactsPath):
// every page's facts, for the next build to prove pages unchanged. It is
// the engine's own record: nothing after the build reads it.
//
// The format is a line "= ROUTE" per page, followed by its facts one a
// line (see appendFacts). Lines, not JSON: a 100,000-page site has a
// million facts, and the next build reads only the pages it checks.

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"sync"

	"github.com/vergehq/verge/internal/manifest"
)

// decodeRecord decodes a page's record of the facts file; a malformed
// record is no record (nil): the page is rendered again.
func decodeRecord(raw []byte) Facts {
	fs, err := parseFacts(raw)
	if err != nil {
		return nil
	}
	return fs
}

// readFactsFile reads the facts file of the output in dir: each route's
// facts, still encoded. nil when there is none.
func readFactsFile(dir string) map[string][]byte {
	data, err := os.ReadFile(inDir(dir, manifest.FactsPath))
	if err != nil {
		return nil
	}
	out := map[string][]byte{}
	route, start := "", -1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		line := data[off : off+end]
		if bytes.HasPrefix(line, []byte("= ")) {
			if start >= 0 {
				out[route] = data[start:off]
			}
			route, start = string(line[2:]), off+end+1
		}
		off += end + 1
	}
	if start >= 0 && start <= len(data) {
		out[route] = data[start:]
	}
	return out
}

// factsStream writes the facts file into the new output as pages
// render, so that a build holds no rendered page's facts: at 100,000
// pages they were a tenth of its memory. Records go in the order of the
// pages as they were expanded, whatever order they finish in: two builds
// of the same sources make the same file. A page that finishes before
// those ahead of it waits, encoded, for them; workers take pages in
// order, so few wait.
type factsStream struct {
	w    *outWriter
	kept []*renderedPage // by page: a page kept from the previous build, nil for one to render

	mu      sync.Mutex
	next    int            // the first page not yet written
	waiting map[int][]byte // records of pages done before the next one
	head    []byte         // a kept page's first line, reused
	f       *os.File
	bw      *bufio.Writer
	err     error
}

// newFactsStream writes the facts file into w's new tree for pages as
// planned: the kept ones, and nil for each page to render.
func newFactsStream(w *outWriter, planned []*renderedPage) *factsStream {
	return &factsStream{w: w, kept: slices.Clone(planned), waiting: map[int][]byte{}}
}

// add writes the record of page k, at route, with the facts it read.
// Safe for concurrent use.
func (s *factsStream) add(k int, route string, facts Facts) {
	n := len(route) + 3
	for _, f := range facts {
		n += len(f.Tag) + len(f.Field) + 3 + 16
	}
	rec := appendFacts(append(append(append(make([]byte, 0, n), "= "...), route...), '\n'), facts)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting[k] = rec
	s.flush(false)
}

// close writes what remains and completes the file.
func (s *factsStream) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flush(true)
	if s.open(); s.err != nil {
		return s.err
	}
	s.err = s.bw.Flush()
	if err := s.f.Close(); s.err == nil {
		s.err = err
	}
	return s.err
}

// flush writes the records next in order; with all, every record left,
// skipping pages that never came (those of a failed build). s.mu is held.
func (s *factsStream) flush(all bool) {
	for ; s.next < len(s.kept) && s.err == nil; s.next++ {
		if p := s.kept[s.next]; p != nil {
			s.write(append(append(append(s.head[:0], "= "...), p.job.Route...), '\n'))
			s.write(p.record)
			continue
		}
		rec, ok := s.waiting[s.next]
		if !ok && !all {
			return
		}
		delete(s.waiting, s.next)
		s.write(rec)
	}
}

// write appends b to the file, made on first use. s.mu is held.
func (s *factsStream) write(b []byte) {
	if s.open(); s.err == nil {
		_, s.err = s.bw.Write(b)
	}
}

// open makes the file on first use. s.mu is held.
func (s *factsStream) open() {
	if s.f != nil || s.err != nil {
		return
	}
	var p string
	if p, s.err = s.w.dest("/" + manifest.FactsPath); s.err != nil {
		return
	}
	if s.f, s.err = os.Create(p); s.err == nil {
		s.bw = bufio.NewWriterSize(s.f, 256<<10)
	}
}
