package site

import (
	"net"
	"os"

	"github.com/vergehq/verge/internal/devserver"
)

// originListen opens the socket `origin` serves on: the one Verge's
// supervisor passed down in EnvListenFD, which outlives this program so
// that a crash or restart refuses no connection (the supervisor answers
// 503 while no program serves), or addr when run on its own. Once it
// serves, the program says so on EnvReadyFD (devserver.SignalReady).
func originListen(addr string) (net.Listener, error) {
	if os.Getenv(devserver.EnvListenFD) != "" {
		return devserver.ListenFromEnv(0)
	}
	return net.Listen("tcp", addr)
}
