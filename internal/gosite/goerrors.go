package gosite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vergehq/verge/internal/diag"
)

// asList returns err as a *diag.List when it is a diagnostic, so callers
// get every bad-input error in the same shape; other errors are returned
// as they are.
func asList(err error) error {
	var d *diag.Diagnostic
	var l *diag.List
	if err == nil || errors.As(err, &l) || !errors.As(err, &d) {
		return err
	}
	var list diag.List
	list.Add(d)
	return &list
}

// posLine matches the go command's "file:line:col: msg" and "file:line: msg"
// lines. Anchoring on the extension lets paths contain spaces and drive
// letters.
var posLine = regexp.MustCompile(`^(.+?\.(?:go|s|S|c|h|cc|cpp|cxx|hh|hpp|mod|sum|work|templ)):(\d+)(?::(\d+))?: (.*)$`)

// buildErrors turns the combined output of a failed `go build` in root into
// a *diag.List.
func buildErrors(root string, out []byte, runErr error) error {
	var (
		list diag.List
		pos  []*diag.Diagnostic
		misc []string
		last *diag.Diagnostic // the diagnostic continuation lines belong to
	)
	for line := range strings.SplitSeq(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "", trimmed == "too many errors",
			strings.HasPrefix(line, "# "), // the package the next errors are in
			strings.HasPrefix(line, "go: downloading "), strings.HasPrefix(line, "go: finding "):
			continue
		case line[0] == '\t' || line[0] == ' ':
			if last != nil {
				continueDiag(last, trimmed)
			} else {
				misc = append(misc, line)
			}
			continue
		}
		if d := parsePosLine(root, line); d != nil {
			pos = append(pos, d)
			last = d
			continue
		}
		misc = append(misc, line)
		last = nil
	}

	mappers := map[string]*templMapper{}
	for _, d := range pos {
		if strings.HasSuffix(d.File, "_templ.go") {
			mapTemplDiag(root, d, mappers)
		}
		list.Add(d)
	}
	if len(pos) > 0 {
		// Lines such as "go: errors parsing go.mod:" only introduce the
		// located errors that follow them.
		misc = slices.DeleteFunc(misc, func(l string) bool { return strings.HasSuffix(l, ":") })
	}
	if len(misc) > 0 {
		msg := strings.Join(misc, "\n")
		// Unlocated output is mostly about modules; what is not (a linker
		// failure, say) belongs to the site as a whole.
		d := &diag.Diagnostic{Msg: msg}
		switch {
		case strings.Contains(msg, "Go files in"): // "no Go files", "no non-test Go files"
			d.Hint = "the site directory needs its main package: a main.go with `package main` and `func main`"
		case moduleTrouble(msg):
			d.File, d.Hint = "go.mod", "run `go mod tidy` in the site directory"
		}
		list.Add(d)
	}
	if list.Len() == 0 {
		list.Add(&diag.Diagnostic{Msg: "go build: " + runErr.Error()})
	}
	return list.Err()
}

// parsePosLine parses a located error line, making its file relative to
// root ("./main.go" -> "main.go"); it returns nil for other lines.
func parsePosLine(root, line string) *diag.Diagnostic {
	m := posLine.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	file := filepath.FromSlash(m[1])
	if !filepath.IsAbs(file) {
		file = filepath.Join(root, file)
	}
	d := &diag.Diagnostic{File: relSlash(root, file), Msg: m[4]}
	d.Line, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		d.Col, _ = strconv.Atoi(m[3])
	}
	return d
}

// continueDiag adds an indented follow-up line ("have (...)", "want (...)",
// or the command that fixes a module error) to d.
func continueDiag(d *diag.Diagnostic, line string) {
	if strings.HasPrefix(line, "go get ") || strings.HasPrefix(line, "go mod ") {
		d.Hint = "run `" + line + "` in the site directory"
		if strings.Contains(d.Msg, "missing go.sum entry") {
			// go suggests `go get` of the importing package, which puzzles
			// more than it helps; tidy fixes every missing entry at once.
			d.Hint = "run `go mod tidy` in the site directory"
		}
		for _, suffix := range []string{"; to add it:", "; to add:", "; to update it:"} {
			d.Msg = strings.TrimSuffix(d.Msg, suffix)
		}
		return
	}
	d.Msg += "\n\t" + line
}

func moduleTrouble(msg string) bool {
	for _, s := range []string{"go.sum", "go.mod", "go mod tidy", "go get", "module"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// mapTemplDiag moves d from X_templ.go to X.templ when it points into a Go
// expression copied from X.templ, and otherwise says where the code came
// from. mappers caches one mapper per generated file.
func mapTemplDiag(root string, d *diag.Diagnostic, mappers map[string]*templMapper) {
	goPath := filepath.Join(root, filepath.FromSlash(d.File))
	templPath := strings.TrimSuffix(goPath, "_templ.go") + ".templ"
	if _, err := os.Stat(templPath); err != nil {
		return
	}
	templRel := relSlash(root, templPath)
	m, ok := mappers[goPath]
	if !ok {
		m = newTemplMapper(templPath, templRel, goPath)
		mappers[goPath] = m
	}
	if line, col, ok := m.templPos(d.Line, d.Col); ok {
		d.File, d.Line, d.Col = templRel, line, col
		return
	}
	if d.Hint == "" {
		d.Hint = fmt.Sprintf("%s is generated from %s: fix the component there (run verge again to regenerate)", d.File, templRel)
	}
}
