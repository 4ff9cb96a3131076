package devserver

import (
	"net"
	"strings"
	"testing"
)

// A taken port is an error that says what to do.
func TestListenPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Listen(ln.Addr().(*net.TCPAddr).Port)
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--port") {
		t.Errorf("err = %v, want one saying the port is in use and to pass --port", err)
	}
}
