package site

import (
	"net"

	"github.com/vergehq/verge/internal/protocol"
)

// originListen opens the socket `origin` serves on: the one Verge's
// supervisor passed down (protocol.EnvListenFD), which outlives this
// program so that a crash or restart refuses no connection (the supervisor
// answers 503 while no program serves), or addr when run on its own. Once
// it serves, the program says so (protocol.SignalReady).
func originListen(addr string) (net.Listener, error) {
	if ln, err := protocol.Inherited(); ln != nil || err != nil {
		return ln, err
	}
	return net.Listen("tcp", addr)
}
