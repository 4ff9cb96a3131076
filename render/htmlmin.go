package render

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/parse/v2"
)

// blockElements are elements around which whitespace never renders: it is
// dropped next to their tags. Everything else is treated as inline, where
// one space between words and tags must stay.
var blockElements = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`address article aside blockquote body br caption col colgroup dd details dialog div dl dt
		fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li main menu nav
		ol optgroup option p pre section summary table tbody td tfoot th thead title tr ul`) {
		m[e] = true
	}
	return m
}()

// invisibleElements render nothing where they stand, so they neither keep
// nor drop the whitespace around them: "a <script>…</script> b" still
// shows "a b".
var invisibleElements = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "link": true, "meta": true}

// appendText writes text with whitespace runs collapsed to one space. A
// trailing space is held back (pending) until the next token shows whether
// it sits between inline content or next to a block boundary.
func appendText(out, text []byte, pending, atBlock bool) ([]byte, bool, bool) {
	for i := 0; i < len(text); {
		c := text[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' {
			if !atBlock {
				pending = true
			}
			i++
			continue
		}
		if pending {
			out = append(out, ' ')
			pending = false
		}
		j := i
		for j < len(text) && !(text[j] == ' ' || text[j] == '\n' || text[j] == '\t' || text[j] == '\r' || text[j] == '\f') {
			j++
		}
		out = append(out, text[i:j]...)
		atBlock = false
		i = j
	}
	return out, pending, atBlock
}

// appendAttr writes one attribute, unquoted where HTML allows it and
// without a value when the value is empty (alt="" is alt).
func appendAttr(out, key, rawVal []byte) []byte {
	out = append(out, ' ')
	out = append(out, key...)
	if rawVal == nil {
		return out
	}
	quote := byte('"')
	val := rawVal
	if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
		quote, val = val[0], val[1:len(val)-1]
	}
	if len(val) == 0 {
		return out
	}
	out = append(out, '=')
	if bytes.ContainsAny(val, " \t\n\r\f\"'=<>`") {
		out = append(out, quote)
		out = append(out, val...)
		return append(out, quote)
	}
	return append(out, val...)
}

// raw minifies the content of an inline <script> or <style>; scripts of
// types other than JavaScript and JSON pass through unchanged.
func (mi *minifier) raw(tag, scriptType string, data []byte) ([]byte, error) {
	mime := "text/css"
	if tag == "script" {
		switch {
		case scriptType == "" || scriptType == "module" || strings.Contains(scriptType, "javascript") || strings.Contains(scriptType, "ecmascript"):
			mime = "application/javascript"
		case strings.HasSuffix(scriptType, "json") || scriptType == "importmap":
			mime = "application/json"
		default:
			return data, nil
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := mi.m.Minify(mime, &buf, bytes.NewReader(data)); err != nil {
		return nil, minifyErr(err)
	}
	return buf.Bytes(), nil
}

func minifyErr(err error) error {
	if e, ok := err.(*parse.Error); ok {
		return fmt.Errorf("line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	if err == minify.ErrNotExist {
		return nil
	}
	return err
}
