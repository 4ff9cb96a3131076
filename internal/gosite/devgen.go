package gosite

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"

	"github.com/a-h/templ/generator"
	templruntime "github.com/a-h/templ/runtime"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/fsatomic"
)

// DevGenerator regenerates a site's templ code for `verge serve`, where
// the site program runs in templ's dev mode (TEMPL_DEV_MODE=true): its
// components read their literal text from one file per component file in
// TextDir, so an edit that changes only text needs no new program. A
// DevGenerator tells such an edit from one that changed Go code.
type DevGenerator struct {
	root    string
	textDir string
	files   map[string]*devTempl // by absolute .templ path
}

// devTempl is what the generator knows of one .templ file.
type devTempl struct {
	srcSum [sha256.Size]byte
	out    generator.GeneratorOutput
}

// GenResult says what a Generate run changed.
type GenResult struct {
	// GoChanged: Go code changed (or a file came or went): the program
	// must be compiled and restarted.
	GoChanged bool
	// TextChanged: only literal text changed, now in the text files: the
	// running program shows it on its next render.
	TextChanged bool
}

// NewDevGenerator returns a generator for the site at root that writes
// text files into textDir, the TEMPL_DEV_MODE_ROOT of the site program.
func NewDevGenerator(root, textDir string) (*DevGenerator, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return &DevGenerator{root: abs, textDir: textDir, files: map[string]*devTempl{}}, nil
}

// TextDir is where the generator writes the text files.
func (g *DevGenerator) TextDir() string { return g.textDir }

// Generate brings the generated code and the text files up to date with
// every .templ file under the root. Errors are a *diag.List located in
// the .templ files; nothing is written for a file that fails.
func (g *DevGenerator) Generate() (GenResult, error) {
	var res GenResult
	templs, orphans, err := findTemplFiles(g.root)
	if err != nil {
		return res, err
	}
	var list diag.List
	seen := map[string]bool{}
	for _, path := range templs {
		seen[path] = true
		src, err := os.ReadFile(path)
		if err != nil {
			list.AddErr(relSlash(g.root, path), err)
			continue
		}
		sum := sha256.Sum256(src)
		prev := g.files[path]
		if prev != nil && prev.srcSum == sum {
			continue
		}
		rel := relSlash(g.root, path)
		out, err := generateTempl(rel, src)
		if err != nil {
			list.AddErr(rel, err)
			continue
		}
		target := strings.TrimSuffix(path, ".templ") + "_templ.go"
		if old, err := os.ReadFile(target); err != nil || !bytes.Equal(old, out.formatted) {
			if err := fsatomic.WriteFile(target, out.formatted); err != nil {
				list.AddErr(rel, err)
				continue
			}
		}
		if err := g.writeText(path, out.gen.Literals); err != nil {
			list.AddErr(rel, err)
			continue
		}
		switch {
		case prev == nil:
			res.GoChanged = true
		case generator.HasGoChanged(prev.out, out.gen):
			res.GoChanged = true
		case generator.HasTextChanged(prev.out, out.gen):
			res.TextChanged = true
		}
		g.files[path] = &devTempl{srcSum: sum, out: out.gen}
	}
	for path := range g.files {
		if !seen[path] {
			delete(g.files, path)
			res.GoChanged = true
		}
	}
	for _, path := range orphans {
		if err := os.Remove(path); err == nil {
			res.GoChanged = true
		}
	}
	return res, list.Err()
}

// writeText writes the literals of the .templ file at path where templ's
// runtime looks for them: TEMPL_DEV_MODE_ROOT/templ_<hash of the path>.txt.
func (g *DevGenerator) writeText(path string, literals []string) error {
	name := filepath.Join(g.textDir, filepath.Base(templruntime.GetDevModeTextFileName(path)))
	data := []byte(strings.Join(literals, "\n"))
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return fsatomic.WriteFile(name, data)
}
