package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// percent is the collector's GOGC now.
func percent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// collectUntil runs collections until cond holds or d passes: the check
// runs in a cleanup, on its own goroutine, after a cycle.
func collectUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		runtime.GC()
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func TestPace(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(percent())

	// A small heap keeps the seldom pace.
	Build(300, 120, 1<<40)
	if collectUntil(300*time.Millisecond, func() bool { return percent() != 300 }) {
		t.Fatalf("GOGC is %d under a small heap, want 300", percent())
	}

	// A heap past the threshold goes to the large heap's pace.
	Build(300, 120, 16<<20)
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	if !collectUntil(5*time.Second, func() bool { return percent() == 120 }) {
		t.Errorf("GOGC is %d with %d MB live, want 120", percent(), len(live))
	}
	runtime.KeepAlive(live)
}

func TestGOGCSetIsLeftAlone(t *testing.T) {
	t.Setenv("GOGC", "50")
	defer debug.SetGCPercent(debug.SetGCPercent(77))
	Build(300, 120, 0)
	if p := percent(); p != 77 {
		t.Errorf("GOGC is %d, want 77: the environment's choice is kept", p)
	}
}
