package assets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
	"github.com/vergehq/verge/internal/diag"
)

// cssErrorIDs are esbuild CSS warnings raised to errors. esbuild recovers
// from them the way a browser would, which means silently losing rules:
// "a { color: red" ends the sheet inside the block, an @import after a rule
// is ignored, a // comment swallows the next rule. A site's author wants
// the build to stop there, not a page that looks wrong in production.
var cssErrorIDs = []string{
	"css-syntax-error",
	"invalid-@import",
	"invalid-@layer",
	"invalid-calc",
	"js-comment-in-css",
	"undefined-composes-from",
}

func logOverrides() map[string]api.LogLevel {
	m := make(map[string]api.LogLevel, len(cssErrorIDs))
	for _, id := range cssErrorIDs {
		m[id] = api.LogLevelError
	}
	return m
}

// cssCheckName names the plugin whose warnings are errors (see cssCheck).
const cssCheckName = "verge-css-check"

// cssCheck is an esbuild plugin that loads CSS files and flags a
// declaration with an empty value (".x { color: }"), which esbuild passes
// through without a word and browsers drop. It reports warnings rather
// than errors so that esbuild still parses the file and reports its own
// problems in it in the same build; Builder turns them into errors.
func cssCheck(root string) api.Plugin {
	return api.Plugin{Name: cssCheckName, Setup: func(pb api.PluginBuild) {
		pb.OnLoad(api.OnLoadOptions{Filter: `\.css$`, Namespace: "file"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			contents := string(data)
			loader := api.LoaderCSS
			if strings.HasSuffix(a.Path, ".module.css") {
				loader = api.LoaderLocalCSS // esbuild's default for CSS modules
			}
			res := api.OnLoadResult{Contents: &contents, Loader: loader, ResolveDir: filepath.Dir(a.Path)}
			// A package's CSS is not the site's to fix: check only the site's own.
			if !strings.Contains(filepath.ToSlash(a.Path), "/node_modules/") {
				res.Warnings = emptyValues(relToRoot(root, a.Path), data)
			}
			return res, nil
		})
	}}
}

// emptyValues finds "prop:" directly followed by ";" or "}" outside
// parentheses. That never occurs in valid CSS except for custom properties,
// whose empty value is legal; selectors (a:hover, ::before) never have ";"
// or "}" right after a colon.
func emptyValues(file string, src []byte) []api.Message {
	buf := make([]byte, len(src), len(src)+1) // the lexer appends a NUL
	copy(buf, src)
	lx := css.NewLexer(parse.NewInputBytes(buf))
	var msgs []api.Message
	depth, off := 0, 0
	prop, propOff, colon := "", -1, false
	reset := func() { prop, propOff, colon = "", -1, false }
	for {
		tt, data := lx.Next()
		if tt == css.ErrorToken {
			return msgs
		}
		start := off
		off += len(data)
		switch tt {
		case css.WhitespaceToken, css.CommentToken:
		case css.IdentToken, css.CustomPropertyNameToken:
			reset()
			if depth == 0 {
				prop, propOff = string(data), start
			}
		case css.ColonToken:
			if propOff < 0 || colon {
				reset()
				continue
			}
			colon = true
		case css.SemicolonToken, css.RightBraceToken:
			if colon && !strings.HasPrefix(prop, "--") {
				line, col, text := lineCol(src, propOff)
				msgs = append(msgs, api.Message{
					PluginName: cssCheckName,
					Text:       fmt.Sprintf("Expected a value for %q", prop),
					Location:   &api.Location{File: file, Line: line, Column: col, Length: len(prop), LineText: text},
				})
			}
			reset()
		case css.FunctionToken, css.LeftParenthesisToken, css.LeftBracketToken:
			depth++
			reset()
		case css.RightParenthesisToken, css.RightBracketToken:
			depth = max(depth-1, 0)
			reset()
		default:
			reset()
		}
	}
}

// lineCol returns the 1-based line, 0-based byte column and text of the
// line at off, the way esbuild locates its messages.
func lineCol(src []byte, off int) (int, int, string) {
	before := src[:off]
	line := 1 + strings.Count(string(before), "\n")
	startOfLine := strings.LastIndexByte(string(before), '\n') + 1
	end := strings.IndexByte(string(src[off:]), '\n')
	if end < 0 {
		end = len(src) - off
	}
	return line, off - startOfLine, strings.TrimSuffix(string(src[startOfLine:off+end]), "\r")
}

// toDiag converts an esbuild message into a diagnostic located relative to
// the site root (esbuild's own paths are relative to AbsWorkingDir, which
// is the root).
func toDiag(root string, m api.Message) *diag.Diagnostic {
	d := &diag.Diagnostic{Msg: m.Text, Hint: hintFor(m)}
	if loc := m.Location; loc != nil {
		d.File = filepath.ToSlash(loc.File)
		if filepath.IsAbs(loc.File) {
			d.File = relToRoot(root, loc.File)
		}
		if loc.Namespace != "" && loc.Namespace != "file" {
			d.File = loc.Namespace + ":" + d.File
		}
		d.Line = loc.Line
		if loc.Line > 0 {
			d.Col = loc.Column + 1
		}
	}
	return d
}

// hints for the mistakes people make, keyed by the start of esbuild's text.
var hints = []struct{ prefix, hint string }{
	{"Could not resolve", "check the path and its spelling: relative imports start with ./ or ../ " +
		"and are resolved from the importing file; a package needs `npm install` in the site root"},
	{`Expected "}"`, `a "{" is never closed: add the missing "}"`},
	{"Unexpected end of file", "a block, string or comment is never closed"},
	{"Comments in CSS use", "use /* ... */: a // line comments out the rule after it"},
	{`All "@import" rules must come first`, "move @import rules to the top of the file: browsers ignore them anywhere else"},
	{"No loader is configured for", "only scripts, CSS, JSON, fonts and images can be imported; serve other files from static/"},
	{"Expected a value for", "give the property a value or delete the declaration: browsers drop an empty one"},
}

func hintFor(m api.Message) string {
	for _, h := range hints {
		if strings.HasPrefix(m.Text, h.prefix) {
			return h.hint
		}
	}
	if m.Location != nil && m.Location.Suggestion != "" {
		return fmt.Sprintf("did you mean %q?", m.Location.Suggestion)
	}
	if len(m.Notes) > 0 && m.Notes[0].Text != "" {
		return m.Notes[0].Text
	}
	return ""
}
