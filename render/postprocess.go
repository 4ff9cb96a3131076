package render

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/html"
)

// urlAttrs are the attributes whose values are URLs a page depends on.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "data": true}

// EmptyRefError is an empty src or href: browsers request the page itself
// for it (YSlow's "avoid empty src or href").
type EmptyRefError struct {
	Tag, Attr string
	Line      int
}

func (e *EmptyRefError) Error() string {
	return fmt.Sprintf("line %d: empty %s on <%s>", e.Line, e.Attr, e.Tag)
}

// postprocess rewrites asset references, collects internal links and
// rejects empty src/href in one pass over the page's tokens. It returns a
// new buffer; src is not modified.
func (r *Renderer) postprocess(route string, src []byte) ([]byte, []Link, []string, error) {
	out := make([]byte, 0, len(src)+256)
	lex := html.NewLexer(parse.NewInputBytes(src))
	var (
		links   []Link
		assets  []string
		errs    []error
		line    = 1
		tag     string
		rel     string // rel of the current <link>
		hasSRI  bool
		sriFrom string // integrity to add when the tag closes
	)
	for {
		tt, data := lex.Next()
		switch tt {
		case html.ErrorToken:
			if len(errs) > 0 {
				return nil, nil, nil, errors.Join(errs...)
			}
			return out, links, assets, nil
		case html.StartTagToken:
			tag, rel, hasSRI, sriFrom = string(lex.Text()), "", false, ""
		case html.AttributeToken:
			key := strings.ToLower(string(lex.AttrKey()))
			val := unquote(lex.AttrVal())
			switch {
			case key == "integrity":
				hasSRI = true
			case key == "rel":
				rel = strings.ToLower(val)
			case key == "srcset":
				for _, cand := range strings.Split(val, ",") {
					if f := strings.Fields(cand); len(f) > 0 {
						if l, ok := internalLink(route, f[0], key, line); ok {
							links = append(links, l)
						}
					}
				}
			case urlAttrs[key]:
				if strings.TrimSpace(val) == "" && (key == "src" || key == "href") && lex.AttrVal() != nil {
					errs = append(errs, &EmptyRefError{Tag: tag, Attr: key, Line: line})
					break
				}
				if r.opts.Asset != nil && strings.HasPrefix(val, "/") {
					if u, integrity, ok := r.opts.Asset(val); ok {
						assets = append(assets, val)
						data = rewriteAttr(data, lex.AttrVal(), u)
						if tag == "script" || tag == "link" {
							sriFrom = integrity
						}
						val = u
					}
				}
				if l, ok := internalLink(route, val, key, line); ok {
					links = append(links, l)
				}
			}
		case html.StartTagCloseToken, html.StartTagVoidToken:
			// Only stylesheets and scripts take SRI; a link rel=icon does not.
			if sriFrom != "" && !hasSRI && (tag == "script" || rel == "stylesheet" || rel == "modulepreload" || rel == "preload") {
				out = append(out, ` integrity="`...)
				out = append(out, sriFrom...)
				out = append(out, `" crossorigin="anonymous"`...)
			}
		}
		line += bytes.Count(data, []byte("\n"))
		out = append(out, data...)
	}
}

// rewriteAttr replaces the value inside a raw attribute token.
func rewriteAttr(raw, quotedVal []byte, newVal string) []byte {
	i := bytes.LastIndex(raw, quotedVal)
	if i < 0 {
		return raw
	}
	nb := make([]byte, 0, len(raw)+len(newVal))
	nb = append(nb, raw[:i]...)
	nb = append(nb, '"')
	nb = append(nb, strings.NewReplacer("&", "&amp;", `"`, "&quot;").Replace(newVal)...)
	nb = append(nb, '"')
	return append(nb, raw[i+len(quotedVal):]...)
}

func unquote(v []byte) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return string(v)
}

// internalLink resolves ref against the page's route if it points inside
// the site (an absolute path or a relative one); external URLs, fragments
// and special schemes are not checked.
func internalLink(route, ref, attr string, line int) (Link, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "//") {
		return Link{}, false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return Link{}, false
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = path.Join(path.Dir(route+"x"), p)
		if strings.HasSuffix(u.Path, "/") && !strings.HasSuffix(p, "/") {
			p += "/"
		}
	}
	return Link{URL: ref, Path: p, Attr: attr, Line: line}, true
}
