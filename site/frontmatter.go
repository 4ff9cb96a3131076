package site

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/vergehq/verge/internal/diag"
)

// frontMatter is a Markdown file split into its metadata and body.
type frontMatter struct {
	format   byte   // '-' for YAML, '+' for TOML, 0 for none
	raw      []byte // the metadata text between the fences
	body     []byte // what follows the closing fence
	bodyLine int    // 1-based line of the body's first line in the file
}

// splitFrontMatter separates "---" (YAML) or "+++" (TOML) front matter from
// the Markdown body. An opening fence without a closing one is an error
// located at the opening line.
func splitFrontMatter(file string, src []byte) (frontMatter, error) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	var fence string
	switch {
	case bytes.HasPrefix(src, []byte("---\n")), bytes.HasPrefix(src, []byte("---\r\n")):
		fence = "---"
	case bytes.HasPrefix(src, []byte("+++\n")), bytes.HasPrefix(src, []byte("+++\r\n")):
		fence = "+++"
	default:
		return frontMatter{body: src, bodyLine: 1}, nil
	}
	start := bytes.IndexByte(src, '\n') + 1
	line := 2
	for i := start; i < len(src); {
		end := bytes.IndexByte(src[i:], '\n')
		var l []byte
		next := len(src)
		if end >= 0 {
			l = src[i : i+end]
			next = i + end + 1
		} else {
			l = src[i:]
		}
		if string(bytes.TrimRight(l, " \t\r")) == fence {
			return frontMatter{format: fence[0], raw: src[start:i], body: src[next:], bodyLine: line + 1}, nil
		}
		i = next
		line++
	}
	return frontMatter{}, &diag.Diagnostic{File: file, Line: 1, Msg: fmt.Sprintf("front matter opened with %q is never closed", fence),
		Hint: fmt.Sprintf("end the front matter with a line holding only %q", fence)}
}

// commonMeta is the front matter every entry understands, whatever the
// collection's own type.
type commonMeta struct {
	Title   string   `yaml:"title" toml:"title"`
	Date    metaTime `yaml:"date" toml:"-"`
	Lastmod metaTime `yaml:"lastmod" toml:"-"`
	Draft   bool     `yaml:"draft" toml:"draft"`
	Slug    string   `yaml:"slug" toml:"slug"`
	Summary string   `yaml:"summary" toml:"summary"`
	Tags    []string `yaml:"tags" toml:"tags"`
	Weight  int      `yaml:"weight" toml:"weight"`
}

// metaTime accepts the date forms people write in front matter: RFC 3339,
// a bare date, or a date and time without a zone (taken as UTC).
type metaTime struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseMetaTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a date (use 2006-01-02 or 2006-01-02T15:04:05Z07:00)", s)
}

// UnmarshalYAML decodes a YAML scalar date.
func (t *metaTime) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a date must be a single value", n.Line)
	}
	v, err := parseMetaTime(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	t.Time = v
	return nil
}

// tomlTime converts what go-toml decodes a date field into (it has no
// unmarshaler hook for struct fields) into a time.
func tomlTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case toml.LocalDate:
		return x.AsTime(time.UTC), nil
	case toml.LocalDateTime:
		return x.AsTime(time.UTC), nil
	case string:
		return parseMetaTime(x)
	}
	return time.Time{}, fmt.Errorf("cannot use %v as a date", v)
}

// tomlCommon is commonMeta as go-toml can decode it.
type tomlCommon struct {
	commonMeta
	Date    any `toml:"date"`
	Lastmod any `toml:"lastmod"`
}

func decodeTOMLCommon(file string, raw []byte, common *commonMeta) error {
	var tc tomlCommon
	if err := toml.Unmarshal(raw, &tc); err != nil {
		return tomlDiagnostics(file, 1, err, "fix the front matter")
	}
	*common = tc.commonMeta
	var err error
	if common.Date.Time, err = tomlTime(tc.Date); err != nil {
		return &diag.Diagnostic{File: file, Msg: "date: " + err.Error(), Hint: "write the date as 2006-01-02 or 2006-01-02T15:04:05Z"}
	}
	if common.Lastmod.Time, err = tomlTime(tc.Lastmod); err != nil {
		return &diag.Diagnostic{File: file, Msg: "lastmod: " + err.Error(), Hint: "write the date as 2006-01-02 or 2006-01-02T15:04:05Z"}
	}
	return nil
}

// decodeFrontMatter decodes fm into the common fields and into meta (a
// pointer to the collection's type). Errors are located in file.
func decodeFrontMatter(file string, fm frontMatter, common *commonMeta, meta any) error {
	switch fm.format {
	case 0:
		return nil
	case '+':
		if err := decodeTOMLCommon(file, fm.raw, common); err != nil {
			return err
		}
		if noFields(meta) {
			return nil
		}
		if err := toml.Unmarshal(fm.raw, meta); err != nil {
			return tomlDiagnostics(file, 1, err, "fix the front matter")
		}
		return nil
	}
	node, ok := fastYAML(fm.raw)
	if !ok {
		node = new(yaml.Node)
		if err := yaml.Unmarshal(fm.raw, node); err != nil {
			return yamlDiagnostic(file, 1, err, "fix the YAML syntax of the front matter")
		}
	}
	if len(node.Content) == 0 {
		return nil
	}
	if err := node.Decode(common); err != nil {
		return yamlDiagnostic(file, 1, err, "check the type of the front matter field")
	}
	if noFields(meta) {
		return nil // a collection without a Meta type: nothing to decode into
	}
	if err := node.Decode(meta); err != nil {
		return yamlDiagnostic(file, 1, err, "check the type of the front matter field against the collection's Go type")
	}
	return nil
}

// noFields reports whether meta points to a struct without fields
// (Markdown[struct{}]), into which decoding reads every node for nothing.
func noFields(meta any) bool {
	t := reflect.TypeOf(meta)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem().NumField() == 0
}

var yamlLineRE = regexp.MustCompile(`line (\d+): `)

// yamlDiagnostic locates a yaml.v3 error, whose position only appears in
// its text ("yaml: line 3: ..."), and rewrites its Go-centric wording.
func yamlDiagnostic(file string, lineOffset int, err error, hint string) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = strings.TrimSpace(msg)
	line := 0
	if m := yamlLineRE.FindStringSubmatchIndex(msg); m != nil {
		line, _ = strconv.Atoi(msg[m[2]:m[3]])
		msg = msg[:m[0]] + msg[m[1]:]
		line += lineOffset
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // one diagnostic per field is enough to act on
	}
	return &diag.Diagnostic{File: file, Line: line, Msg: msg, Hint: hint}
}
