package purgeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuthorized(t *testing.T) {
	for _, c := range []struct {
		name, header, token string
		ok                  bool
	}{
		{"right token", "Bearer s3cret", "s3cret", true},
		{"wrong token", "Bearer nope", "s3cret", false},
		{"token without the scheme", "s3cret", "s3cret", false},
		{"no header", "", "s3cret", false},
		{"no token configured", "Bearer ", "", false},
		{"other scheme", "Basic s3cret", "s3cret", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", Path, nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			if got := Authorized(r, c.token); got != c.ok {
				t.Errorf("Authorized = %v, want %v", got, c.ok)
			}
		})
	}
}

func TestRefuse(t *testing.T) {
	rec := httptest.NewRecorder()
	Refuse(rec, "no")
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != `Bearer realm="verge purge"` || strings.TrimSpace(rec.Body.String()) != "no" {
		t.Errorf("got %d %q %q", rec.Code, rec.Header(), rec.Body)
	}
}

// The body round-trips, and what is not given is left out of it.
func TestRequestJSON(t *testing.T) {
	for _, c := range []struct {
		req  Request
		body string
	}{
		{Request{}, `{}`},
		{Request{Tags: []string{"e:posts/a"}, Soft: true}, `{"tags":["e:posts/a"],"soft":true}`},
		{Request{URLs: []string{"/a"}, Prefixes: []string{"/b/"}, Everything: true}, `{"urls":["/a"],"prefixes":["/b/"],"everything":true}`},
	} {
		data, err := json.Marshal(c.req)
		if err != nil || string(data) != c.body {
			t.Errorf("Marshal(%+v) = %s (%v), want %s", c.req, data, err, c.body)
		}
		var back Request
		if err := Decode(strings.NewReader(c.body), &back); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(back)
		if string(again) != c.body {
			t.Errorf("Decode(%s) = %s", c.body, again)
		}
	}
	if err := Decode(strings.NewReader(`{"tags": [`), new(Request)); err == nil {
		t.Error("Decode of a cut body: no error")
	}
	long := `{"tags":["` + strings.Repeat("a", maxBody) + `"]}`
	if err := Decode(strings.NewReader(long), new(Request)); err == nil {
		t.Error("Decode past maxBody: no error")
	}
}

func TestToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("VERGE_PURGE_TOKEN", "from-env")
	for _, c := range []struct {
		name, file, want, errHas string
	}{
		{"environment", "", "from-env", ""},
		{"file, trimmed", write("tok", "  from-file\n"), "from-file", ""},
		{"empty file", write("empty", "\n"), "", "is empty: put the token in it"},
		{"no file", filepath.Join(dir, "none"), "", "--purge-token-file: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Token(c.file)
			if got != c.want || (c.errHas == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("Token(%q) = %q, %v; want %q, %q", c.file, got, err, c.want, c.errHas)
			}
		})
	}
}
