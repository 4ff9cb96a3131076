package devserver

// This file holds the protocol between `verge serve` (or Verge's
// supervisor) and the site program it runs: the environment, the control
// stream, the inherited listening socket and the readiness signal.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/vergehq/verge/internal/diag"
)

// DefaultPort is where `serve` listens unless told otherwise.
const DefaultPort = 1717

// Environment of a site program run by `verge serve`, which owns the
// listening socket (so it survives restarts of the site program) and
// drives the program through a control stream.
const (
	// EnvListenFD names the file descriptor of an open listening socket
	// to serve on instead of opening one.
	EnvListenFD = "VERGE_LISTEN_FD"
	// EnvReadyFD names a file descriptor to write "ready\n" to once the
	// first build is served.
	EnvReadyFD = "VERGE_READY_FD"
	// EnvControl, set to "stdin", makes the program read control
	// messages (ControlMsg, one JSON object per line) from its stdin.
	EnvControl = "VERGE_CONTROL"
)

// ControlMsg is a message from `verge serve` to the site program.
type ControlMsg struct {
	// Type is "templ" (a .templ file's text changed: render every page
	// again), "errors" (show Errors, from compiling the site) or "clear"
	// (the compile errors are fixed).
	Type   string             `json:"type"`
	Errors []*diag.Diagnostic `json:"errors,omitempty"`
}

// ListenFromEnv opens the socket to serve on: the one `verge serve` (or
// Verge's supervisor) passed down in EnvListenFD, or 127.0.0.1:port.
func ListenFromEnv(port int) (net.Listener, error) {
	if fd := os.Getenv(EnvListenFD); fd != "" {
		n, err := strconv.Atoi(fd)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a file descriptor", EnvListenFD, fd)
		}
		return net.FileListener(os.NewFile(uintptr(n), "listener"))
	}
	return Listen(port)
}

// Listen opens 127.0.0.1:port, with an error that says what to do when
// the port is taken.
func Listen(port int) (net.Listener, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("port %d on 127.0.0.1 is already in use (another verge serve?): stop that program or pass --port with a free port", port)
	}
	return ln, err
}

// SignalReady tells the parent that started the program, through
// EnvReadyFD, that it serves.
func SignalReady() {
	fd, err := strconv.Atoi(os.Getenv(EnvReadyFD))
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	fmt.Fprintln(f, "ready")
	f.Close()
}

// readControl delivers control messages from stdin when the program runs
// under `verge serve`; otherwise the channel stays silent. lost is closed
// when stdin ends: `verge serve` has gone (killed, say), and the program
// must not keep its socket.
func readControl() (msgs <-chan ControlMsg, lost <-chan struct{}) {
	ch := make(chan ControlMsg)
	gone := make(chan struct{})
	if os.Getenv(EnvControl) != "stdin" {
		return ch, gone
	}
	go func() {
		defer close(gone)
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			var m ControlMsg
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ch <- m
			}
		}
	}()
	return ch, gone
}
