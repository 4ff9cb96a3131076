// Package protocol is the wire protocol between verge and the site
// program it compiles and runs: the environment the program is started
// with, the listening socket it inherits, the readiness it reports, and
// the control stream `verge serve` drives it by. Both sides import this
// package, so each name and encoding is written once; the parent's half
// (Pass, WriteControl, ChildEnv) and the child's (Inherited, SignalReady,
// ControlFromEnv) sit side by side and are tested against each other.
package protocol

import "strings"

// Environment of a site program run by verge.
const (
	// EnvRoot names the site directory; without it the program's site is
	// the current directory.
	EnvRoot = "VERGE_ROOT"
	// EnvBuildKey identifies the program (its code and templates), so a
	// build reuses pages only from the same program.
	EnvBuildKey = "VERGE_BUILD_KEY"
	// EnvListenFD names the file descriptor of an open listening socket
	// to serve on instead of opening one.
	EnvListenFD = "VERGE_LISTEN_FD"
	// EnvReadyFD names a file descriptor to write "ready\n" to once the
	// program serves.
	EnvReadyFD = "VERGE_READY_FD"
	// EnvControl, set to "stdin", makes the program read control
	// messages (ControlMsg, one JSON object per line) from its stdin.
	EnvControl = "VERGE_CONTROL"
)

// DefaultPort is where `serve` listens unless told otherwise.
const DefaultPort = 1717

// Secret reports whether an environment variable holds one of Verge's
// tokens, which the site program is never given: the CLI uses them, and
// the program (user code serving requests) has no need of them, so a
// function that logs its environment cannot leak them.
func Secret(name string) bool {
	switch name {
	case "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "VERGE_PURGE_TOKEN", "VERGE_WEBHOOK_TOKEN":
		return true
	}
	return false
}

// ChildEnv is the environment of a site program started from environ
// (os.Environ()): environ without Verge's secrets, plus the site root and
// the program's build key.
func ChildEnv(environ []string, root, buildKey string) []string {
	var env []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !Secret(name) {
			env = append(env, kv)
		}
	}
	return append(env, EnvRoot+"="+root, EnvBuildKey+"="+buildKey)
}
