package supervise

import (
	"strings"
	"sync"
)

// tail keeps the last bytes a program wrote to stderr, to say why it
// died: a panic's message and the frame it came from.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// summary is one line: from the last "panic:" or "fatal error:" line,
// that line and the first frames after it (the goroutine, the function
// and its file:line); failing that, the last three lines.
func (t *tail) summary() string {
	t.mu.Lock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	t.mu.Unlock()
	from := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "panic: ") || strings.HasPrefix(lines[i], "fatal error: ") {
			from = i
			break
		}
	}
	var keep []string
	if from >= 0 {
		for _, l := range lines[from:] {
			if l = strings.TrimSpace(l); l != "" {
				keep = append(keep, l)
			}
			if len(keep) == 5 {
				break
			}
		}
	} else {
		keep = lines[max(0, len(lines)-3):]
	}
	return strings.Join(keep, " | ")
}
