package protocol

import (
	"bufio"
	"encoding/json"
	"io"
	"os"

	"github.com/vergehq/verge/internal/diag"
)

// ControlMsg is a message from `verge serve` to the site program.
type ControlMsg struct {
	// Type is ControlTempl, ControlErrors or ControlClear.
	Type   string             `json:"type"`
	Errors []*diag.Diagnostic `json:"errors,omitempty"`
}

// The types of ControlMsg.
const (
	// ControlTempl: a .templ file's text changed; render every page again.
	ControlTempl = "templ"
	// ControlErrors: show Errors, from compiling the site.
	ControlErrors = "errors"
	// ControlClear: the compile errors are fixed.
	ControlClear = "clear"
)

// WriteControl writes m to the program's control stream as one line.
// Callers writing from several goroutines serialize the calls.
func WriteControl(w io.Writer, m ControlMsg) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// ReadControl delivers the control messages read from r, skipping lines
// that are not one; lost is closed when r ends.
func ReadControl(r io.Reader) (msgs <-chan ControlMsg, lost <-chan struct{}) {
	ch := make(chan ControlMsg)
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		sc := bufio.NewScanner(r)
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

// ControlFromEnv is ReadControl of stdin when the program runs under
// `verge serve` (EnvControl); otherwise both channels stay silent. lost
// closing means `verge serve` has gone (killed, say), and the program
// must not keep its socket.
func ControlFromEnv() (msgs <-chan ControlMsg, lost <-chan struct{}) {
	if os.Getenv(EnvControl) != "stdin" {
		return make(chan ControlMsg), make(chan struct{})
	}
	return ReadControl(os.Stdin)
}
