// Package diag owns the error type every build stage reports bad input with:
// a diagnostic names the file, the line (where there is one) and what to do,
// and a List collects all of a build's diagnostics so they are reported
// together rather than one per run.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Diagnostic is one problem in a site's sources, located as precisely as the
// stage that found it can.
type Diagnostic struct {
	File string // path relative to the site root, slash-separated; "" if none
	Line int    // 1-based; 0 when unknown
	Col  int    // 1-based; 0 when unknown
	Msg  string // what is wrong
	Hint string // what to do about it; may be empty
}

// Error formats the diagnostic as "file:line:col: msg (hint)".
func (d *Diagnostic) Error() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Col > 0 {
				fmt.Fprintf(&b, ":%d", d.Col)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	if d.Hint != "" {
		b.WriteString("\n    hint: ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// List is a set of diagnostics reported together. The zero value is ready
// to use and safe for concurrent Add.
type List struct {
	mu    sync.Mutex
	items []*Diagnostic
}

// Add records d; a nil d is ignored.
func (l *List) Add(d *Diagnostic) {
	if d == nil {
		return
	}
	l.mu.Lock()
	l.items = append(l.items, d)
	l.mu.Unlock()
}

// AddErr records err: the diagnostics inside it if it carries any (a
// *Diagnostic or a *List, possibly wrapped), otherwise err as a diagnostic
// located at file.
func (l *List) AddErr(file string, err error) {
	if err == nil {
		return
	}
	var dl *List
	if errors.As(err, &dl) {
		for _, d := range dl.Items() {
			l.Add(d)
		}
		return
	}
	var d *Diagnostic
	if errors.As(err, &d) {
		l.Add(d)
		return
	}
	l.Add(&Diagnostic{File: file, Msg: err.Error()})
}

// Len reports how many diagnostics the list holds, duplicates included.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.items)
}

// Items returns the diagnostics sorted by file, line and message, so the
// report is the same from run to run whatever order workers finished in.
// Identical diagnostics (one layout mistake seen by every page) appear once.
func (l *List) Items() []*Diagnostic {
	l.mu.Lock()
	seen := map[Diagnostic]bool{}
	var out []*Diagnostic
	for _, d := range l.items {
		if !seen[*d] {
			seen[*d] = true
			out = append(out, d)
		}
	}
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Msg < b.Msg
	})
	return out
}

// Err returns the list as an error, or nil when it is empty.
func (l *List) Err() error {
	if l.Len() == 0 {
		return nil
	}
	return l
}

// Error lists every diagnostic, one per line, after a count.
func (l *List) Error() string {
	items := l.Items()
	var b strings.Builder
	if len(items) == 1 {
		b.WriteString("1 error:\n")
	} else {
		fmt.Fprintf(&b, "%d errors:\n", len(items))
	}
	for _, d := range items {
		b.WriteString("  ")
		b.WriteString(strings.ReplaceAll(d.Error(), "\n", "\n  "))
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
