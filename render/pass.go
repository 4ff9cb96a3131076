package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/html"
)

// processed is a page after its one pass over the HTML tokens.
type processed struct {
	html   []byte
	links  []Link
	assets []string
}

// process makes one pass over a page's tokens that does all of Verge's
// post-processing: asset references rewritten to fingerprinted URLs with
// SRI, internal links collected for checking, empty src/href rejected,
// and, when minifying, whitespace collapsed (dropped around block
// elements, verbatim in pre and textarea), comments removed, quotes
// dropped where safe and inline scripts and styles minified. Document and
// end tags stay. One pass of our own replaced a lexing pass plus
// tdewolff's general HTML minifier, which together were a third of a
// 10,000-page build. src is not modified.
func (r *Renderer) process(route string, src []byte) (processed, error) {
	var (
		res     processed
		errs    []error
		min     = r.opts.Minify
		out     = make([]byte, 0, len(src)+256)
		lex     = html.NewLexer(parse.NewInputBytes(src))
		line    = 1
		tag     string // current start tag
		rel     string // rel of the current <link>
		typ     string // type of the current <script>
		hasSRI  bool
		sriFrom string // integrity to add when the tag closes
		rawFor  string // script or style whose raw text comes next
		pre     int    // depth of pre/textarea: text kept verbatim
		pending bool   // collapsed whitespace not yet written
		atBlock = true // at a block boundary: leading whitespace drops
	)
	for {
		tt, data := lex.Next()
		rawText := rawFor // raw text directly follows its start tag, or none
		rawFor = ""
		switch tt {
		case html.ErrorToken:
			if err := lex.Err(); err != nil && err != io.EOF {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				return processed{}, errors.Join(errs...)
			}
			res.html = out
			return res, nil
		case html.CommentToken:
			if !min || bytes.HasPrefix(data, []byte("<!--[if")) {
				out = append(out, data...)
			}
		case html.DoctypeToken:
			if min {
				out = append(out, "<!doctype html>"...)
			} else {
				out = append(out, data...)
			}
		case html.StartTagToken, html.EndTagToken:
			name := string(lex.Text())
			if name == "pre" || name == "textarea" {
				if tt == html.StartTagToken {
					pre++
				} else {
					pre = max(0, pre-1)
				}
			}
			if tt == html.StartTagToken {
				tag, rel, typ, hasSRI, sriFrom = name, "", "", false, ""
			}
			if !min {
				out = append(out, data...)
				break
			}
			if blockElements[name] {
				pending, atBlock = false, true
			} else if pending {
				out = append(out, ' ')
				pending, atBlock = false, false
			}
			if tt == html.EndTagToken {
				out = append(out, "</"...)
				out = append(out, name...)
				out = append(out, '>')
			} else {
				out = append(out, '<')
				out = append(out, name...)
			}
		case html.AttributeToken:
			key := strings.ToLower(string(lex.AttrKey()))
			rawVal := lex.AttrVal()
			val := unquote(rawVal)
			var rewritten string
			switch {
			case key == "integrity":
				hasSRI = true
			case key == "rel":
				rel = strings.ToLower(val)
			case key == "type" && tag == "script":
				typ = strings.ToLower(val)
			case key == "srcset":
				for _, cand := range strings.Split(val, ",") {
					if f := strings.Fields(cand); len(f) > 0 {
						if l, ok := internalLink(route, f[0], key, line); ok {
							res.links = append(res.links, l)
						}
					}
				}
			case urlAttrs[key]:
				if strings.TrimSpace(val) == "" && (key == "src" || key == "href") && rawVal != nil {
					errs = append(errs, &EmptyRefError{Tag: tag, Attr: key, Line: line})
					break
				}
				if r.opts.Asset != nil && strings.HasPrefix(val, "/") {
					if u, integrity, ok := r.opts.Asset(val); ok {
						res.assets = append(res.assets, val)
						rewritten = u
						if tag == "script" || tag == "link" {
							sriFrom = integrity
						}
						val = u
					}
				}
				if l, ok := internalLink(route, val, key, line); ok {
					res.links = append(res.links, l)
				}
			}
			switch {
			case min && rewritten != "":
				out = appendAttr(out, key, []byte(rewritten))
			case min:
				out = appendAttr(out, key, rawVal)
			case rewritten != "":
				out = append(out, rewriteAttr(data, rawVal, rewritten)...)
			default:
				out = append(out, data...)
			}
		case html.StartTagCloseToken, html.StartTagVoidToken:
			// Only stylesheets and scripts take SRI; a link rel=icon does not.
			if sriFrom != "" && !hasSRI && (tag == "script" || rel == "stylesheet" || rel == "modulepreload" || rel == "preload") {
				out = append(out, ` integrity="`...)
				out = append(out, sriFrom...)
				out = append(out, `" crossorigin="anonymous"`...)
			}
			if !min {
				out = append(out, data...)
				break
			}
			out = append(out, '>')
			if tag == "script" || tag == "style" {
				rawFor = tag
			}
		case html.TextToken:
			switch {
			case !min || pre > 0:
				out = append(out, data...)
			case rawText != "":
				m, err := r.min.raw(rawText, typ, data)
				if err != nil {
					errs = append(errs, fmt.Errorf("line %d: inline <%s>: %w", line, rawText, err))
					break
				}
				out = append(out, m...)
			default:
				out, pending, atBlock = appendText(out, data, pending, atBlock)
			}
		default: // svg, math and the like: passed through whole
			if pending {
				out = append(out, ' ')
				pending = false
			}
			out = append(out, data...)
			atBlock = false
		}
		line += bytes.Count(data, []byte("\n"))
	}
}
