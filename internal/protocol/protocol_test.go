package protocol

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/diag"
)

func TestChildEnv(t *testing.T) {
	env := ChildEnv([]string{"PATH=/bin", "CLOUDFLARE_API_TOKEN=cf", "CLOUDFLARE_API_KEY=k", "VERGE_PURGE_TOKEN=p",
		"VERGE_WEBHOOK_TOKEN=w", "HOME=/h", "ODD"}, "/site", "abc")
	want := []string{"PATH=/bin", "HOME=/h", "ODD", EnvRoot + "=/site", EnvBuildKey + "=abc"}
	if !slices.Equal(env, want) {
		t.Errorf("ChildEnv = %q, want %q", env, want)
	}
}

func TestControlRoundTrip(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msgs, lost := ReadControl(r)
	sent := []ControlMsg{
		{Type: ControlTempl},
		{Type: ControlErrors, Errors: []*diag.Diagnostic{{File: "main.go", Line: 3, Msg: "undefined: x"}}},
		{Type: ControlClear},
	}
	go func() {
		for i, m := range sent {
			if i == 1 {
				io.WriteString(w, "not json\n") // skipped, not fatal
			}
			if err := WriteControl(w, m); err != nil {
				t.Error(err)
			}
		}
		w.Close()
	}()
	for i, want := range sent {
		select {
		case got := <-msgs:
			if got.Type != want.Type || len(got.Errors) != len(want.Errors) {
				t.Fatalf("message %d: got %+v, want %+v", i, got, want)
			}
			if len(got.Errors) == 1 && (got.Errors[0].File != "main.go" || got.Errors[0].Line != 3 || got.Errors[0].Msg != "undefined: x") {
				t.Errorf("message %d: diagnostic %+v", i, got.Errors[0])
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("lost not closed when the stream ended")
	}
}

func TestControlFromEnvSilentWithoutVerge(t *testing.T) {
	t.Setenv(EnvControl, "")
	msgs, lost := ControlFromEnv()
	select {
	case m := <-msgs:
		t.Fatalf("got %+v", m)
	case <-lost:
		t.Fatal("lost closed")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestInheritedWithout(t *testing.T) {
	t.Setenv(EnvListenFD, "")
	if ln, err := Inherited(); ln != nil || err != nil {
		t.Fatalf("Inherited() = %v, %v; want nil, nil", ln, err)
	}
	t.Setenv(EnvListenFD, "three")
	if _, err := Inherited(); err == nil || !strings.Contains(err.Error(), EnvListenFD) {
		t.Fatalf("Inherited() with a bad fd: %v", err)
	}
}

func TestListenPortInUse(t *testing.T) {
	ln, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Listen(port)
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" on 127.0.0.1 is already in use") {
		t.Fatalf("second Listen: %v", err)
	}
}

// The child half of TestHandoff: run as a program the parent started.
func init() {
	switch os.Getenv("PROTOCOL_TEST_CHILD") {
	case "serve":
		ln, err := Inherited()
		if err != nil || ln == nil {
			os.Exit(3)
		}
		SignalReady()
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "from the child")
		}))
		os.Exit(0)
	case "exit":
		os.Exit(1)
	}
}

func TestHandoff(t *testing.T) {
	tests := []struct {
		child     string
		wantReady bool
	}{
		{"serve", true},
		{"exit", false},
	}
	for _, tc := range tests {
		t.Run(tc.child, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			sock, err := ln.(*net.TCPListener).File()
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "PROTOCOL_TEST_CHILD="+tc.child)
			h, err := Pass(cmd, sock)
			if err != nil {
				t.Fatal(err)
			}
			err = cmd.Start()
			h.Started(err)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			exited := make(chan struct{})
			if !tc.wantReady {
				go func() { cmd.Wait(); close(exited) }()
			}
			select {
			case <-h.Ready():
				if !tc.wantReady {
					t.Fatal("ready from a program that exited")
				}
			case <-exited:
				select {
				case <-h.Ready():
					t.Fatal("ready after the program exited")
				case <-time.After(100 * time.Millisecond):
				}
				return
			case <-time.After(10 * time.Second):
				t.Fatal("no readiness")
			}
			resp, err := http.Get("http://" + ln.Addr().String() + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "from the child" {
				t.Errorf("served %q on the passed socket", body)
			}
		})
	}
}
