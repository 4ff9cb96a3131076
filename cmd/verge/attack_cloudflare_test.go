package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/edge/deploy"
	"github.com/vergehq/verge/internal/cffake"
	"github.com/vergehq/verge/internal/manifest"
)

// The Cloudflare faults of issue 12 that the CLI answers for, against
// the strict fake over HTTP, with hand-written builds (no site to
// compile): pages /posts/pN/ tagged e:posts/pN.

// cfSite is a site dir deploying to a fake Cloudflare with the real CLI.
type cfSite struct {
	t    *testing.T
	bin  string
	dir  string // verge.toml and .verge/
	dist string
	fake *cffake.Server
	api  *httptest.Server
	site *httptest.Server
	env  []string
}

func newCFSite(t *testing.T, toml string) *cfSite {
	t.Helper()
	s := &cfSite{t: t, bin: vergeBin(t), dir: t.TempDir(), dist: filepath.Join(t.TempDir(), "dist"), fake: cffake.New(cffake.Options{})}
	s.api = httptest.NewServer(s.fake)
	t.Cleanup(s.api.Close)
	s.site = httptest.NewServer(s.fake.Site("blog"))
	t.Cleanup(s.site.Close)
	cfg := fmt.Sprintf("output_dir = %q\n\n[cloudflare]\naccount_id = \"acct\"\nscript = \"blog\"\nzone_id = \"zone\"\n%s", s.dist, toml)
	if err := os.WriteFile(filepath.Join(s.dir, "verge.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = []string{"CLOUDFLARE_API_TOKEN=test-token", "CLOUDFLARE_BASE_URL=" + s.api.URL + "/client/v4/"}
	return s
}

// build writes a build of n posts; edits[i] changes post i's text.
func (s *cfSite) build(n int, edits map[int]string) {
	s.t.Helper()
	os.RemoveAll(s.dist)
	m := &manifest.Manifest{Schema: manifest.SchemaVersion}
	for i := range n {
		p := fmt.Sprintf("/posts/p%d/index.html", i)
		data := []byte(fmt.Sprintf("<p>post %d%s</p>", i, edits[i]))
		dst := filepath.Join(s.dist, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			s.t.Fatal(err)
		}
		m.Files = append(m.Files, manifest.File{Path: p, Route: strings.TrimSuffix(p, "index.html"), Kind: manifest.KindPage,
			Size: int64(len(data)), SHA256: manifest.SHA256(data), AssetHash: manifest.AssetHash(p, data),
			ContentType: "text/html; charset=utf-8", CacheControl: "public, max-age=60, must-revalidate",
			Tags: []string{fmt.Sprintf("e:posts/p%d", i)}})
		m.BuildID += m.Files[i].SHA256[:8]
	}
	m.BuildID = manifest.SHA256([]byte(m.BuildID))[:24]
	if err := manifest.Write(s.dist, m); err != nil {
		s.t.Fatal(err)
	}
}

func (s *cfSite) verge(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("verge %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// deployJSON runs verge deploy --target cloudflare --json.
func (s *cfSite) deployJSON() deploy.CloudflareReport {
	s.t.Helper()
	cmd := exec.Command(s.bin, "deploy", "--target", "cloudflare", "--json")
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("verge deploy: %v\n%s", err, out)
	}
	var rep deploy.CloudflareReport
	if err := json.Unmarshal(out, &rep); err != nil {
		s.t.Fatalf("deploy report %q: %v", out, err)
	}
	return rep
}

// deployBlind deploys the build as a deploy whose version ID this
// checkout never learns: what a lost answer and a failed read-back left,
// or the duplicates blind retries made.
func (s *cfSite) deployBlind() {
	s.t.Helper()
	tg, err := cloudflare.New(cloudflare.Config{AccountID: "acct", Script: "blog", Token: "test-token", BaseURL: s.api.URL + "/client/v4/"})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := tg.Deploy(context.Background(), s.dist, cloudflare.DeployOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

func (s *cfSite) body(p string) string {
	s.t.Helper()
	resp, err := http.Get(s.site.URL + p)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Issue 12, items 12 and 13: a default rollback from a duplicate of the
// live build went to the same build and purged everything; a deploy
// whose version ID was lost left no record the next deploy could find,
// and the next one-post deploy purged everything. Records are found by
// build now: the rollback goes to the previous build and purges its one
// changed post, and so does the next deploy.
func TestAttackCloudflareRecordsByBuild(t *testing.T) {
	s := newCFSite(t, "")
	s.build(5, nil)
	s.deployJSON()
	s.build(5, map[int]string{1: " edited"})
	s.deployJSON()
	s.deployBlind() // a second version of the live build

	sent := len(s.fake.Purges())
	out := s.verge("rollback", "--target", "cloudflare", "--dir", s.dir)
	purges := s.fake.Purges()[sent:]
	if !strings.Contains(out, "purging 1 tags") || len(purges) != 1 || purges[0].Everything || s.body("/posts/p1/") != "<p>post 1</p>" {
		t.Errorf("rollback from a duplicate of the live build:\n%s\npurges %+v, /posts/p1/ %q", out, purges, s.body("/posts/p1/"))
	}

	s.build(5, nil)
	s.deployBlind() // the rolled-back build again, its version ID unknown here
	s.build(5, map[int]string{2: " edited"})
	rep := s.deployJSON()
	if rep.Version == "" || rep.Purge.Everything || len(rep.Purge.Tags) != 1 || rep.Purge.Tags[0] != "e:posts/p2" {
		t.Errorf("one-post deploy after a version whose ID was never learned: version %q, purge %+v", rep.Version, rep.Purge)
	}
}

// Issue 12, item 15: a rate limit that turns the plan into a purge of
// everything said "purging 120 tags ... in 2 requests", then "1 purges
// sent". It says that it switched, and why.
func TestAttackCloudflarePurgeSwitchSaid(t *testing.T) {
	s := newCFSite(t, "purge_per_minute = 1\npurge_burst = 1\n")
	s.build(400, nil)
	s.deployJSON()
	edits := map[int]string{}
	for i := range 120 {
		edits[i] = " edited"
	}
	s.build(400, edits)
	out := s.verge("deploy", "--target", "cloudflare", "--purge-wait", "2s")
	t.Logf("verge deploy:\n%s", out)
	purges := s.fake.Purges()
	if !strings.Contains(out, "in 2 requests") || !strings.Contains(out, "would hold 1 of the 2 requests due past --purge-wait 2s; purging everything instead (1 request)") ||
		!strings.Contains(out, "1 purges sent") || len(purges) != 1 || !purges[0].Everything {
		t.Errorf("deploy whose purge the rate limit holds back:\n%s\npurges %+v", out, purges)
	}
}
