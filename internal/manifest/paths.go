package manifest

// Verge's own files in a build's output all live under Dir: the paths
// below are the one list of them, so that every stage that reads a build
// (deploy targets, the edge, purge planning, the audit) agrees on which
// files are the site's and which are Verge's records.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/fsatomic"
)

// Dir is the directory of Verge's own files in a build's output, and
// URLPrefix the URL path they (and Verge's own routes) are served under.
const (
	Dir       = "_verge"
	URLPrefix = "/" + Dir + "/"
)

// The files Verge keeps in a build's output, relative to it (Path, the
// manifest itself, is beside them).
const (
	// VersionsPath holds the version of every tag the build knew: what
	// incremental builds and purge planning compare.
	VersionsPath = Dir + "/versions.json"
	// FactsPath holds what each page read and the version it had: what
	// incremental builds compare to prove a page unchanged.
	FactsPath = Dir + "/facts"
	// StatePath is the incremental build's state.
	StatePath = Dir + "/state.json"
	// AuditPath is the build's YSlow audit.
	AuditPath = Dir + "/audit.json"
	// PendingPath marks an output a patch left half-written.
	PendingPath = Dir + "/pending"
)

// Records a deploy to Cloudflare serves from the site (URL paths), so that
// a deploy from another checkout can read them back.
const (
	// CloudflareKeptPath lists the fingerprinted files of recent builds.
	CloudflareKeptPath = URLPrefix + "cloudflare-kept.json"
	// CloudflareBuildPath is the record of the live build, for planning
	// the next deploy's purge.
	CloudflareBuildPath = URLPrefix + "cloudflare-build.json.gz"
)

// The files of a build a CDN takes as configuration rather than content.
const (
	HeadersFile   = "/_headers"
	RedirectsFile = "/_redirects"
)

// IsOwnFile says whether the file at URL path p of a build is Verge's
// own (its records under URLPrefix) or a CDN's configuration (_headers,
// _redirects) rather than a file the site serves as content.
func IsOwnFile(p string) bool {
	return p == HeadersFile || p == RedirectsFile || strings.HasPrefix(p, URLPrefix)
}

// ReadTagVersions reads the tag versions of the build output in dir: nil
// when it has none (a build by an older Verge) or they cannot be read.
func ReadTagVersions(dir string) map[string]string {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(VersionsPath)))
	if err != nil {
		return nil
	}
	var tv map[string]string
	if json.Unmarshal(data, &tv) != nil {
		return nil
	}
	return tv
}

// Write writes m as the manifest of the build output in dir, atomically.
func Write(dir string, m *Manifest) error {
	data, err := m.Encode()
	if err != nil {
		return err
	}
	if err := fsatomic.WriteFile(filepath.Join(dir, filepath.FromSlash(Path)), data); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
