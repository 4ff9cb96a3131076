package protocol

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// The listening socket is verge's: it outlives each site program, so a
// restart or crash refuses no connection. verge passes it down as an
// inherited file with a pipe beside it, and the program writes "ready\n"
// on the pipe once it serves, which is when verge stops answering on the
// socket itself (or tells the browser to reload).

const readyLine = "ready\n"

// Handoff is the parent's half of passing a socket to a site program.
type Handoff struct {
	readyR, readyW *os.File
	ready          chan struct{}
}

// Pass prepares cmd, not yet started, to serve on sock and report when it
// does: it sets EnvListenFD and EnvReadyFD and cmd.ExtraFiles. Call
// Started once the start returned, whether it failed or not.
func Pass(cmd *exec.Cmd, sock *os.File) (*Handoff, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env,
		EnvListenFD+"=3", // ExtraFiles[0]
		EnvReadyFD+"=4",  // ExtraFiles[1]
	)
	cmd.ExtraFiles = []*os.File{sock, w}
	return &Handoff{readyR: r, readyW: w, ready: make(chan struct{})}, nil
}

// Started closes verge's copy of the pipe's write end, so that the
// program's exit ends the read, and, when the start succeeded (err is
// nil), waits for the program's word on Ready.
func (h *Handoff) Started(err error) {
	h.readyW.Close()
	if err != nil {
		h.readyR.Close()
		return
	}
	go func() {
		defer h.readyR.Close()
		buf := make([]byte, len(readyLine))
		if _, err := io.ReadFull(h.readyR, buf); err == nil && string(buf) == readyLine {
			close(h.ready)
		}
	}()
}

// Ready is closed when the program says it serves; never if it exits
// first.
func (h *Handoff) Ready() <-chan struct{} { return h.ready }

// Inherited returns the socket verge passed down (EnvListenFD), or nil
// when the program runs on its own.
func Inherited() (net.Listener, error) {
	fd := os.Getenv(EnvListenFD)
	if fd == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(fd)
	if err != nil {
		return nil, fmt.Errorf("%s=%q is not a file descriptor", EnvListenFD, fd)
	}
	return net.FileListener(os.NewFile(uintptr(n), "listener"))
}

// SignalReady tells verge that the program serves (EnvReadyFD); without
// that variable it does nothing.
func SignalReady() {
	fd, err := strconv.Atoi(os.Getenv(EnvReadyFD))
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	_, _ = io.WriteString(f, readyLine)
	f.Close()
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

// ListenOrInherit is the socket a program serves on: the one verge passed
// down (EnvListenFD), so that it outlives the program's restarts, or else
// 127.0.0.1:port when the program runs on its own.
func ListenOrInherit(port int) (net.Listener, error) {
	if ln, err := Inherited(); ln != nil || err != nil {
		return ln, err
	}
	return Listen(port)
}
