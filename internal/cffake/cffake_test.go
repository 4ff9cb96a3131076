package cffake_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/workers"

	"github.com/vergehq/verge/internal/cffake"
)

type answer struct {
	status  int
	Success bool `json:"success"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Result json.RawMessage `json:"result"`
	header http.Header
}

func do(t *testing.T, srv *httptest.Server, method, path, token, ctype string, body []byte) answer {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %s", method, path, data)
	}
	a.status, a.header = resp.StatusCode, resp.Header
	return a
}

// bucket is a multipart upload of one file under hash h.
func bucket(h, ctype string, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, h, h))
	if ctype != "" {
		hdr.Set("Content-Type", ctype)
	}
	pw, _ := w.CreatePart(hdr)
	pw.Write([]byte(base64.StdEncoding.EncodeToString(data)))
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// wrangler's own fixture: logo.png holding "foobar".
const logoHash = "2082190357cfd3617ccfe04f340c6247"

// The fake refuses what Cloudflare refuses in an upload: the API token
// where the upload token belongs, a part without a MIME type, text
// without charset, content that does not hash to its name; and it takes
// the right upload with 201 and a completion token.
func TestFakeUploadRules(t *testing.T) {
	srv := httptest.NewServer(cffake.New(cffake.Options{}))
	defer srv.Close()
	const acct = "/client/v4/accounts/acct"
	man, _ := json.Marshal(map[string]any{"manifest": map[string]any{"/logo.png": map[string]any{"hash": logoHash, "size": 6}}})
	if a := do(t, srv, "POST", acct+"/workers/scripts/s/assets-upload-session", "wrong", "application/json", man); a.status != 401 {
		t.Errorf("session with a wrong API token: %d", a.status)
	}
	a := do(t, srv, "POST", acct+"/workers/scripts/s/assets-upload-session", "test-token", "application/json", man)
	var sess struct {
		JWT     string     `json:"jwt"`
		Buckets [][]string `json:"buckets"`
	}
	if err := json.Unmarshal(a.Result, &sess); err != nil || len(sess.Buckets) != 1 || sess.Buckets[0][0] != logoHash {
		t.Fatalf("session: %d %s", a.status, a.Result)
	}
	up := acct + "/workers/assets/upload?base64=true"
	for _, c := range []struct {
		name, token, ctype string
		data               []byte
		status             int
	}{
		{"API token", "test-token", "image/png", []byte("foobar"), 401},
		{"no part type", sess.JWT, "", []byte("foobar"), 400},
		{"wrong content", sess.JWT, "image/png", []byte("foobaz"), 400},
		{"right", sess.JWT, "image/png", []byte("foobar"), 201},
	} {
		body, ct := bucket(logoHash, c.ctype, c.data)
		if a := do(t, srv, "POST", up, c.token, ct, body); a.status != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, a.status, a.Errors, c.status)
		}
	}
	// Uploaded once, the file is never asked for again.
	a = do(t, srv, "POST", acct+"/workers/scripts/s/assets-upload-session", "test-token", "application/json", man)
	if err := json.Unmarshal(a.Result, &sess); err != nil || len(sess.Buckets) != 0 {
		t.Errorf("second session asks for %v", sess.Buckets)
	}
}

// Purges break Cloudflare's rules with HTTP 200 and success:false, and
// past the rate limit get 429 with Retry-After.
func TestFakePurgeRules(t *testing.T) {
	now := time.Unix(1e9, 0)
	srv := httptest.NewServer(cffake.New(cffake.Options{PurgeBurst: 3, PurgePerMinute: 5, Now: func() time.Time { return now }}))
	defer srv.Close()
	purge := func(body any) answer {
		data, _ := json.Marshal(body)
		return do(t, srv, "POST", "/client/v4/zones/zone/purge_cache", "test-token", "application/json", data)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("t", i)
	}
	for _, c := range []struct {
		name string
		body any
		code int
	}{
		{"101 tags", map[string]any{"tags": many}, 1016},
		{"long tag", map[string]any{"tags": []string{strings.Repeat("x", 1025)}}, 1100},
		{"space", map[string]any{"tags": []string{"a b"}}, 1315},
	} {
		if a := purge(c.body); a.status != 200 || a.Success || len(a.Errors) == 0 || a.Errors[0].Code != c.code {
			t.Errorf("%s: %d success=%v %v, want 200, success:false, code %d", c.name, a.status, a.Success, a.Errors, c.code)
		}
	}
	if a := purge(map[string]any{"tags": []string{"e:posts/a"}}); a.status != 429 || a.header.Get("Retry-After") != "12" {
		t.Errorf("fourth purge of a burst of 3: %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	now = now.Add(12 * time.Second)
	if a := purge(map[string]any{"tags": []string{"e:posts/a"}}); a.status != 200 || !a.Success {
		t.Errorf("purge after Retry-After: %d %v", a.status, a.Errors)
	}
}

// cloudflare-go v7's typed script upload flattens the metadata into form
// fields (metadata.assets.jwt, ...); Cloudflare wants one JSON part, and
// so does the fake.
func TestFakeRefusesFlattenedMetadata(t *testing.T) {
	srv := httptest.NewServer(cffake.New(cffake.Options{}))
	defer srv.Close()
	scripts := workers.NewScriptService(option.WithBaseURL(srv.URL+"/client/v4/"), option.WithAPIToken("test-token"), option.WithMaxRetries(0))
	var params workers.ScriptUpdateParams
	params.AccountID.Value, params.AccountID.Present = "acct", true
	var assets workers.ScriptUpdateParamsMetadataAssets
	assets.JWT.Value, assets.JWT.Present = "eyJcompletion", true
	params.Metadata.Present = true
	params.Metadata.Value.Assets.Value, params.Metadata.Value.Assets.Present = assets, true
	params.Metadata.Value.CompatibilityDate.Value, params.Metadata.Value.CompatibilityDate.Present = "2025-06-01", true
	_, err := scripts.Update(context.Background(), "s", params)
	if err == nil || !strings.Contains(err.Error(), "metadata must be one part holding JSON") {
		t.Errorf("typed Update: %v", err)
	}
}

// Seeded fault rates: the same seed meets the same faults; a lost answer
// with a status is done before it is answered.
func TestFakeFaultRates(t *testing.T) {
	run := func(seed uint64) (codes []int, purges int) {
		fake := cffake.New(cffake.Options{Seed: seed, PurgeBurst: 100})
		srv := httptest.NewServer(fake)
		defer srv.Close()
		fake.SetRate(cffake.OpPurge, cffake.FaultRate{Lose: 0.5, LoseStatus: http.StatusInternalServerError})
		for range 20 {
			a := do(t, srv, "POST", "/client/v4/zones/zone/purge_cache", "test-token", "application/json", []byte(`{"tags":["a"]}`))
			codes = append(codes, a.status)
		}
		if lost := fake.Injected(cffake.OpPurge); lost == 0 || lost == 20 {
			t.Errorf("seed %d: %d of 20 answers lost at a rate of 50%%", seed, lost)
		}
		return codes, len(fake.Purges())
	}
	a, done := run(7)
	b, _ := run(7)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("one seed, two runs: %v and %v", a, b)
	}
	if done != 20 {
		t.Errorf("%d of 20 purges done: a lost answer must be done first", done)
	}
}
