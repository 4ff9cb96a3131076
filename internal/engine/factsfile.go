package engine

// This file holds the facts file of a build to disk (manifest.FactsPath):
// every page's facts, for the next build to prove pages unchanged. It is
// the engine's own record: nothing after the build reads it.
//
// The format is a line "= ROUTE" per page, followed by its facts one a
// line (see appendFacts). Lines, not JSON: a 100,000-page site has a
// million facts, and the next build reads only the pages it checks.

import (
	"bytes"
	"os"

	"github.com/vergehq/verge/internal/manifest"
)

// pageFacts is one page's facts as the facts file holds them: decoded
// (rendered this build) or still encoded (kept from the previous one).
type pageFacts struct {
	facts Facts
	raw   []byte
}

// get decodes the facts if they are still encoded; a malformed record
// is no record (nil): the page is rendered again.
func (pf pageFacts) get() Facts {
	if pf.raw == nil {
		return pf.facts
	}
	fs, err := parseFacts(pf.raw)
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

// encodeFactsFile is the facts file of pages.
func encodeFactsFile(pages []*renderedPage) []byte {
	// Sized first: the file of a 100,000-page site is tens of megabytes,
	// which growing by appends would copy and clear a dozen times.
	n := 0
	for _, p := range pages {
		n += len(p.job.Route) + 3 + len(p.facts.raw)
		for _, f := range p.facts.facts {
			n += len(f.Tag) + len(f.Field) + 3 + 16
		}
	}
	buf := make([]byte, 0, n)
	for _, p := range pages {
		buf = append(buf, "= "...)
		buf = append(buf, p.job.Route...)
		buf = append(buf, '\n')
		if p.facts.raw != nil {
			buf = append(buf, p.facts.raw...)
		} else {
			buf = appendFacts(buf, p.facts.facts)
		}
	}
	return buf
}
