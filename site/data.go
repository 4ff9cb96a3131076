package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/rawfile"
)

// DataFile is a JSON, YAML or TOML file under data/ decoded into T.
type DataFile[T any] struct {
	name string
	src  *dataSource[T] // the file as the build engine loads it
}

type dataState[T any] struct {
	value    T
	version  string // the file's hash: the tag's version
	valueVer uint64 // the decoded value's: a comment or reformatting keeps it
}

// Data declares the data file data/name.json (or .yaml, .yml, .toml).
func Data[T any](s *Site, name string) *DataFile[T] {
	d := &DataFile[T]{name: name}
	d.src = &dataSource[T]{d}
	s.loaders = append(s.loaders, d.src)
	return d
}

// Get returns the decoded value and records it as a dependency: an edit
// that decodes to the same value (a comment, reformatting, a key the Go
// type does not have) renders no page again.
func (d *DataFile[T]) Get(c *Ctx) T {
	st := c.rec.Build.State(d.src).(*dataState[T])
	c.rec.ReadFact(d.tag(), fieldValue, st.valueVer)
	return st.value
}

// fieldValue is the fact of a data file's decoded value.
const fieldValue = "value"

func (d *DataFile[T]) tag() string { return engine.MakeTag("d", d.name) }

// factVersion answers for the file's tag.
func (d *DataFile[T]) factVersion(b *engine.Build, k engine.FactKey) (uint64, bool) {
	if k.Tag != d.tag() || k.Field != fieldValue {
		return 0, false
	}
	return b.State(d.src).(*dataState[T]).valueVer, true
}

func (d *DataFile[T]) load(b *engine.Build, errs *diag.List) {
	st := &dataState[T]{}
	defer func() { b.SetState(d.src, st) }()
	var found []string
	for _, ext := range []string{".json", ".yaml", ".yml", ".toml"} {
		if _, err := os.Stat(filepath.Join(b.Root, "data", d.name+ext)); err == nil {
			found = append(found, "data/"+d.name+ext)
		}
	}
	switch len(found) {
	case 0:
		errs.Add(&diag.Diagnostic{File: "data/" + d.name + ".json", Msg: fmt.Sprintf("data file %q not found", d.name),
			Hint: "create data/" + d.name + ".json, .yaml or .toml, or remove the site.Data declaration"})
		return
	case 1:
	default:
		errs.Add(&diag.Diagnostic{File: found[0], Msg: fmt.Sprintf("data file %q exists as %v", d.name, found), Hint: "keep only one of them"})
		return
	}
	rel := found[0]
	src, err := rawfile.ReadFile(inDir(b.Root, rel))
	if err != nil {
		errs.AddErr(rel, err)
		return
	}
	sum := sha256.Sum256(src)
	st.version = hex.EncodeToString(sum[:12])
	switch filepath.Ext(rel) {
	case ".json":
		err = jsonDiagnostic(rel, src, json.Unmarshal(src, &st.value))
	case ".toml":
		if e := toml.Unmarshal(src, &st.value); e != nil {
			err = tomlDiagnostics(rel, 0, e, "fix the data file or its Go type")
		}
	default:
		if e := yaml.Unmarshal(src, &st.value); e != nil {
			err = yamlDiagnostic(rel, 0, e, "fix the data file or its Go type")
		}
	}
	errs.AddErr(rel, err)
	if err == nil {
		data, jerr := json.Marshal(st.value)
		if jerr != nil {
			data = fmt.Appendf(nil, "%#v", st.value)
		}
		st.valueVer = engine.HashBytes(data)
	}
}

// jsonDiagnostic locates an encoding/json error by converting its byte
// offset to a line and column.
func jsonDiagnostic(file string, src []byte, err error) error {
	if err == nil {
		return nil
	}
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	d := &diag.Diagnostic{File: file, Msg: err.Error(), Hint: "fix the JSON or the Go type it decodes into"}
	if off > 0 && off <= int64(len(src)) {
		// encoding/json reports the offset after the offending byte.
		before := src[:off-1]
		d.Line = bytes.Count(before, []byte("\n")) + 1
		d.Col = len(before) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	}
	return d
}
