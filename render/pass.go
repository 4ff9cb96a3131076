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
// 10,000-page build. src is modified (attribute keys are lower-cased in
// place): callers pass a buffer they are done with.
func (r *Renderer) process(route string, src []byte) (processed, error) {
	var (
		tt      html.TokenType
		data    []byte
		res     processed
		errs    []error
		min     = r.opts.Minify
		out     = r.outBuf(len(src) + 256)
		lex     = html.NewLexer(parse.NewInputBytes(src))
		pos     int    // offset of the current token in src
		tag     []byte // current start tag, lower case (slices src)
		rel     string // rel of the current <link>
		typ     string // type of the current <script>
		hasSRI  bool
		sriFrom string // integrity to add when the tag closes
		rawFor  string // script or style whose raw text comes next
		pre     int    // depth of pre/textarea: text kept verbatim
		pending bool   // collapsed whitespace not yet written
		atBlock = true // at a block boundary: leading whitespace drops
		img     imgTag // the current <img>'s attributes
		imgs    int    // <img> elements so far
	)
	for ; ; pos += len(data) {
		tt, data = lex.Next()
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
			name := lex.Text()
			if verbatimTag(name) {
				if tt == html.StartTagToken {
					pre++
				} else {
					pre = max(0, pre-1)
				}
			}
			if tt == html.StartTagToken {
				tag, rel, typ, hasSRI, sriFrom, img = name, "", "", false, "", imgTag{}
			}
			if !min {
				out = append(out, data...)
				break
			}
			switch {
			case invisibleElements[string(name)]:
			case blockElements[string(name)]:
				pending, atBlock = false, true
			case pending:
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
			key := parse.ToLower(lex.AttrKey()) // in place: src is ours
			rawVal := lex.AttrVal()
			val := unquote(rawVal)
			var rewritten string
			if string(tag) == "img" {
				img.see(string(key), val)
			}
			switch k := string(key); {
			case k == "integrity":
				hasSRI = true
			case k == "rel":
				rel = strings.ToLower(val)
			case k == "type" && string(tag) == "script":
				typ = strings.ToLower(val)
			case k == "srcset":
				cands := strings.Split(val, ",")
				changed := false
				for i, cand := range cands {
					f := strings.Fields(cand)
					if len(f) == 0 {
						continue
					}
					if u, _, ok := r.asset(f[0]); ok {
						res.assets = append(res.assets, f[0])
						f[0], changed = u, true
					}
					cands[i] = strings.Join(f, " ")
					if l, ok := internalLink(route, f[0], "srcset"); ok {
						res.links = append(res.links, l)
					}
				}
				if changed {
					rewritten = strings.Join(cands, ", ")
				}
			case urlAttrs[k]:
				if strings.TrimSpace(val) == "" && (k == "src" || k == "href") {
					errs = append(errs, &EmptyRefError{Tag: string(tag), Attr: k, Line: lineAt(src, pos)})
					break
				}
				if u, integrity, ok := r.asset(val); ok {
					res.assets = append(res.assets, val)
					rewritten = u
					if t := string(tag); t == "script" || t == "link" {
						sriFrom = integrity
					}
					val = u
				}
				if l, ok := internalLink(route, val, k); ok {
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
			if string(tag) == "img" {
				imgs++
				var sized bool
				if out, sized = r.imgAttrs(out, img, imgs); sized {
					res.assets = append(res.assets, img.src) // the page depends on the file's size
				}
			}
			// Only stylesheets and scripts take SRI; a link rel=icon does not.
			if sriFrom != "" && !hasSRI && (string(tag) == "script" || rel == "stylesheet" || rel == "modulepreload" || rel == "preload") {
				out = append(out, ` integrity="`...)
				out = append(out, sriFrom...)
				out = append(out, `" crossorigin="anonymous"`...)
			}
			if !min {
				out = append(out, data...)
				break
			}
			out = append(out, '>')
			if t := string(tag); t == "script" || t == "style" {
				rawFor = t
			}
		case html.TextToken:
			switch {
			case !min || pre > 0:
				out = append(out, data...)
			case rawText != "":
				m, err := r.min.raw(rawText, typ, data)
				if err != nil {
					errs = append(errs, fmt.Errorf("line %d: inline <%s>: %w", lineAt(src, pos), rawText, err))
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
	}
}

// imgTag is what the pass notes of an <img>'s attributes.
type imgTag struct {
	src               string
	sized, hasLoading bool
}

func (t *imgTag) see(key, val string) {
	switch key {
	case "src":
		t.src = val
	case "width", "height":
		t.sized = true
	case "loading":
		t.hasLoading = true
	}
}

// imgAttrs adds to the n-th <img> of a page, before its tag closes, the
// width and height of its file when it gives neither (the browser then
// reserves its space: no layout shift), and loading="lazy" after the
// first (which is likely in view, and should load at once).
// It reports whether it used the file's size.
func (r *Renderer) imgAttrs(out []byte, img imgTag, n int) ([]byte, bool) {
	sized := false
	if !img.sized && img.src != "" && r.opts.ImageSize != nil {
		if w, h, ok := r.opts.ImageSize(img.src); ok {
			out = fmt.Appendf(out, ` width="%d" height="%d"`, w, h)
			sized = true
		}
	}
	if n > 1 && !img.hasLoading {
		out = append(out, ` loading="lazy"`...)
	}
	return out, sized
}

// lineAt is the 1-based line of offset pos in src; only errors need it.
func lineAt(src []byte, pos int) int {
	return bytes.Count(src[:min(pos, len(src))], []byte("\n")) + 1
}

// verbatimTag reports whether text inside the element is kept as written.
func verbatimTag(name []byte) bool {
	return string(name) == "pre" || string(name) == "textarea"
}

// asset resolves a reference to an asset by its source path, keeping a
// query or fragment ("/assets/icons.svg#home" is the sprite's URL plus
// "#home").
func (r *Renderer) asset(ref string) (url, integrity string, ok bool) {
	if r.opts.Asset == nil || !strings.HasPrefix(ref, "/") {
		return "", "", false
	}
	base, suffix := ref, ""
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		base, suffix = ref[:i], ref[i:]
	}
	u, integrity, ok := r.opts.Asset(base)
	return u + suffix, integrity, ok
}
