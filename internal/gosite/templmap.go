package gosite

import (
	"bytes"
	"go/scanner"
	"go/token"
	"os"
	"sort"
)

// templMapper maps positions in a generated X_templ.go back to X.templ.
//
// templ's source map refers to the generator's raw output, but the file on
// disk is that output after gofmt, which moves lines and spaces. gofmt keeps
// the token sequence though (bar semicolons, comments, redundant parentheses
// it strips from if/for/switch headers and import order), so a position is
// carried over token by token: formatted token -> raw token -> source map ->
// .templ, and accepted only when the .templ text at the result is the token's
// own text. Anything else (a position in templ's scaffolding, a stale file)
// is reported as unmapped.
type templMapper struct {
	src       []byte // the .templ source
	out       *templOutput
	fmtToks   []goToken
	rawToks   []goToken
	fmtLines  []int // byte offset of each line start in the formatted file
	rawFile   *token.File
	alignment []int // fmtToks index -> rawToks index, -1 when unknown
	importEnd int   // index of the first formatted token after the imports
}

type goToken struct {
	off  int
	tok  token.Token
	text string
}

// newTemplMapper regenerates templPath (rel is its site-relative name) and
// checks that goPath holds exactly that code; it returns nil when mapping is
// not possible.
func newTemplMapper(templPath, rel, goPath string) *templMapper {
	src, err := os.ReadFile(templPath)
	if err != nil {
		return nil
	}
	out, err := generateTempl(rel, src)
	if err != nil {
		return nil
	}
	onDisk, err := os.ReadFile(goPath)
	if err != nil || !bytes.Equal(onDisk, out.formatted) {
		return nil // stale: positions in it say nothing about the current .templ
	}
	m := &templMapper{src: src, out: out}
	m.fmtToks, _ = scanGo(out.formatted)
	m.rawToks, m.rawFile = scanGo(out.raw)
	m.fmtLines = []int{0}
	for i, b := range out.formatted {
		if b == '\n' {
			m.fmtLines = append(m.fmtLines, i+1)
		}
	}
	m.align()
	return m
}

// scanGo lists the tokens of src that gofmt preserves.
func scanGo(src []byte) ([]goToken, *token.File) {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0) // no comments: gofmt may rewrap doc comments
	var toks []goToken
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return toks, file
		}
		if tok == token.SEMICOLON {
			continue // mostly implicit, and gofmt adds or drops them with newlines
		}
		if lit == "" {
			lit = tok.String()
		}
		toks = append(toks, goToken{off: file.Offset(pos), tok: tok, text: lit})
	}
}

func sameToken(a, b goToken) bool {
	if a.tok != b.tok {
		return false
	}
	switch a.tok {
	case token.INT, token.FLOAT, token.IMAG:
		return true // gofmt normalises number prefixes and exponents
	}
	return a.text == b.text
}

// align pairs formatted tokens with raw ones. The import section is paired
// by position only when the tokens agree, since gofmt sorts import blocks;
// elsewhere a raw parenthesis with no formatted partner is one gofmt
// stripped. The first other disagreement ends the alignment.
func (m *templMapper) align() {
	m.alignment = make([]int, len(m.fmtToks))
	for i := range m.alignment {
		m.alignment[i] = -1
	}
	m.importEnd = len(m.fmtToks)
	for k, t := range m.fmtToks {
		if t.tok == token.FUNC || t.tok == token.VAR || t.tok == token.CONST || t.tok == token.TYPE {
			m.importEnd = k // the first such token is top-level: imports come first
			break
		}
	}
	i, j := 0, 0
	for i < len(m.fmtToks) && j < len(m.rawToks) {
		f, r := m.fmtToks[i], m.rawToks[j]
		switch {
		case sameToken(f, r):
			m.alignment[i] = j
			i++
			j++
		case r.tok == token.LPAREN || r.tok == token.RPAREN:
			j++
		case i < m.importEnd:
			// A reordered import: find its twin by text, which is unique
			// for import paths and names alike in a valid file.
			m.alignment[i] = m.uniqueRaw(f)
			i++
			j++
		default:
			return
		}
	}
}

func (m *templMapper) uniqueRaw(f goToken) int {
	found := -1
	for j, r := range m.rawToks {
		if sameToken(f, r) {
			if found >= 0 {
				return -1
			}
			found = j
		}
	}
	return found
}

// templPos maps a 1-based line and byte column in the formatted X_templ.go
// to a 1-based line and byte column in X.templ.
func (m *templMapper) templPos(line, col int) (int, int, bool) {
	if m == nil || line < 1 || line > len(m.fmtLines) || col < 1 {
		return 0, 0, false
	}
	off := m.fmtLines[line-1] + col - 1
	i := sort.Search(len(m.fmtToks), func(k int) bool { return m.fmtToks[k].off > off }) - 1
	if i < 0 {
		return 0, 0, false
	}
	f := m.fmtToks[i]
	delta := off - f.off
	if delta >= len(f.text) || m.alignment[i] < 0 {
		return 0, 0, false
	}
	r := m.rawToks[m.alignment[i]]
	if r.text != f.text {
		delta = 0 // a renormalised number: point at its start
	}
	p := m.rawFile.Position(m.rawFile.Pos(r.off + delta))
	lm, ok := m.out.sourceMap.TargetLinesToSource[uint32(p.Line-1)]
	if !ok {
		return 0, 0, false
	}
	src, ok := lm[uint32(p.Column-1)]
	if !ok {
		return 0, 0, false
	}
	// Generated expressions with no place in the .templ (templ's own
	// helpers) are recorded at offset 0: the text check rejects them.
	if idx := int(src.Index); idx < 0 || idx > len(m.src) || !bytes.HasPrefix(m.src[idx:], []byte(r.text[delta:])) {
		return 0, 0, false
	}
	return int(src.Line) + 1, int(src.Col) + 1, true
}
