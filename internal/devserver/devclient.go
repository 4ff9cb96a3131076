package devserver

// This file holds the live-reload client's side of the server: the
// modules it is made of (devclient.js, which imports devmorph.js), the
// routes they and their event stream are served under, and the script
// tag every HTML page gets.

import (
	"bytes"
	_ "embed"
	"net/http"

	"github.com/vergehq/verge/internal/manifest"
)

var (
	//go:embed devclient.js
	liveClientJS []byte
	//go:embed devmorph.js
	morphJS []byte
)

// clientFiles are the live-reload client's modules, by URL path.
var clientFiles = map[string][]byte{liveJSPath: liveClientJS, morphJSPath: morphJS}

// serveClient serves a module of the live-reload client, reporting
// whether path is one.
func serveClient(w http.ResponseWriter, path string) bool {
	js, ok := clientFiles[path]
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(js)
	return true
}

// The dev server's own routes, under the prefix of Verge's own files so
// that they never clash with a page.
const (
	liveJSPath  = manifest.URLPrefix + "live.js"  // the live-reload client
	morphJSPath = manifest.URLPrefix + "morph.js" // its in-place page update
	eventsPath  = manifest.URLPrefix + "events"   // its event stream
	statePath   = manifest.URLPrefix + "state"    // DevState, for tests and scripts
)

// liveScript is what the dev server adds to every HTML page it serves.
const liveScript = `<script type="module" src="` + liveJSPath + `"></script>`

// injectLive adds the live-reload script at the end of <head>, or of the
// document if it has none.
func injectLive(page []byte) []byte {
	i := bytes.Index(page, []byte("</head>"))
	if i < 0 {
		i = len(page)
	}
	out := make([]byte, 0, len(page)+len(liveScript))
	out = append(out, page[:i]...)
	out = append(out, liveScript...)
	return append(out, page[i:]...)
}
