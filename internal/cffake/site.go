package cffake

import (
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
)

// headerRule is one rule of a _headers file: a URL pattern, the headers
// it sets and the ones it detaches ("! Name").
type headerRule struct {
	pattern *regexp.Regexp
	set     [][2]string
	detach  []string
}

// parseHeaders reads a _headers file within Cloudflare's limits: at most
// 100 rules, 2,000 characters a line.
func parseHeaders(text string) ([]headerRule, error) {
	var rules []headerRule
	for i, line := range strings.Split(text, "\n") {
		if len(line) > 2000 {
			return nil, fmt.Errorf("line %d is over 2,000 characters", i+1)
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case line[0] != ' ' && line[0] != '\t':
			if !strings.HasPrefix(t, "/") {
				return nil, fmt.Errorf("line %d: a rule starts with a URL path, got %q", i+1, t)
			}
			rules = append(rules, headerRule{pattern: patternRE(t)})
		case len(rules) == 0:
			return nil, fmt.Errorf("line %d: a header before any URL pattern", i+1)
		case strings.HasPrefix(t, "!"):
			r := &rules[len(rules)-1]
			r.detach = append(r.detach, strings.TrimSpace(t[1:]))
		default:
			name, val, ok := strings.Cut(t, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: want \"Name: value\", got %q", i+1, t)
			}
			r := &rules[len(rules)-1]
			r.set = append(r.set, [2]string{strings.TrimSpace(name), strings.TrimSpace(val)})
		}
	}
	if len(rules) > 100 {
		return nil, fmt.Errorf("%d rules: the most is 100", len(rules))
	}
	return rules, nil
}

// patternRE compiles a _headers URL pattern: "*" matches anything,
// ":name" one path segment.
func patternRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*':
			b.WriteString(".*")
		case c == ':' && i+1 < len(p) && isNameChar(p[i+1]):
			for i+1 < len(p) && isNameChar(p[i+1]) {
				i++
			}
			b.WriteString("[^/]+")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Site serves the assets of the version live on the named Worker as
// Workers Static Assets do: html_handling "auto-trailing-slash", the
// 404 page when not_found_handling asks for it, the _headers rules
// applied, and Cloudflare's default Cache-Control. Requests no asset
// matches get 404 (the fake runs no Worker code).
func (s *Server) Site(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		v := s.live(name)
		s.mu.Unlock()
		if v == nil {
			http.Error(w, "no deployment", http.StatusNotFound)
			return
		}
		p, redirect := v.resolve(r.URL.Path)
		if redirect != "" {
			http.Redirect(w, r, redirect, http.StatusTemporaryRedirect)
			return
		}
		status := http.StatusOK
		if p == "" && v.Config.NotFoundHandling == "404-page" {
			if _, ok := v.Assets["/404.html"]; ok {
				p, status = "/404.html", http.StatusNotFound
			}
		}
		if p == "" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		b, ok := s.blobs[v.Assets[p].Hash]
		s.mu.Unlock()
		if !ok {
			http.Error(w, "asset missing from storage", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", b.contentType)
		h.Set("Cache-Control", "public, max-age=0, must-revalidate")
		h.Set("ETag", `"`+v.Assets[p].Hash+`"`)
		v.applyHeaders(h, r.URL.Path)
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(b.data)
		}
	})
}

// resolve maps a request path to an asset path under auto-trailing-slash
// handling, or to a redirect.
func (v *version) resolve(p string) (asset, redirect string) {
	has := func(a string) bool { _, ok := v.Assets[a]; return ok }
	switch {
	case strings.HasSuffix(p, "/index.html") && has(p):
		return "", strings.TrimSuffix(p, "index.html")
	case strings.HasSuffix(p, ".html") && has(p) && !has(strings.TrimSuffix(p, ".html")+"/index.html"):
		return "", strings.TrimSuffix(p, ".html")
	case strings.HasSuffix(p, "/") && has(p+"index.html"):
		return p + "index.html", ""
	case has(p):
		return p, ""
	case !strings.HasSuffix(p, "/") && has(p+".html"):
		return p + ".html", ""
	case !strings.HasSuffix(p, "/") && has(p+"/index.html"):
		return "", p + "/"
	}
	return "", ""
}

// applyHeaders applies every _headers rule matching the request path in
// order: a header two rules set is joined with a comma, as Cloudflare
// does, unless the later rule detaches it first.
func (v *version) applyHeaders(h http.Header, reqPath string) {
	set := map[string]bool{}
	for _, r := range v.headers {
		if !r.pattern.MatchString(path.Clean(reqPath)) && !r.pattern.MatchString(reqPath) {
			continue
		}
		for _, d := range r.detach {
			h.Del(d)
			delete(set, http.CanonicalHeaderKey(d))
		}
		for _, kv := range r.set {
			k := http.CanonicalHeaderKey(kv[0])
			if set[k] {
				h.Set(k, h.Get(k)+", "+kv[1])
			} else {
				h.Set(k, kv[1])
				set[k] = true
			}
		}
	}
}
