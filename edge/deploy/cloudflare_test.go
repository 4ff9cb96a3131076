package deploy

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/cffake"
)

// cfFixture is a site deploying to the Cloudflare fake, its zone purged.
type cfFixture struct {
	fake *cffake.Server
	site *Site
	dist string
}

func newCF(t *testing.T) *cfFixture {
	t.Helper()
	fake := cffake.New(cffake.Options{})
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	served := httptest.NewServer(fake.Site("blog"))
	t.Cleanup(served.Close)
	t.Setenv("CLOUDFLARE_API_TOKEN", "test-token")
	t.Setenv("CLOUDFLARE_BASE_URL", api.URL+"/client/v4/")
	s := testSite(t, Config{OutputDir: "dist", Cloudflare: Cloudflare{AccountID: "acct", Script: "blog", ZoneID: "zone", URL: served.URL}})
	return &cfFixture{fake: fake, site: s, dist: filepath.Join(s.Dir, "dist")}
}

// deploy writes a build of 3 posts with edits and deploys it as JSON.
func (f *cfFixture) deploy(t *testing.T, edits map[int]string) CloudflareReport {
	t.Helper()
	writeBuild(t, f.dist, posts(3, edits), versions(3, edits))
	tg, err := Open("cloudflare", f.site)
	if err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	if err := tg.Deploy(t.Context(), f.dist, Options{Stdout: &out, Stderr: &errw, JSON: true, PurgeWait: 5 * time.Second, Timeout: time.Minute}); err != nil {
		t.Fatalf("deploy: %v\n%s", err, errw.String())
	}
	var rep CloudflareReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return rep
}

// tagsPurged is every tag the zone was purged by, in order.
func (f *cfFixture) tagsPurged() []string {
	var out []string
	for _, p := range f.fake.Purges() {
		out = append(out, p.Tags...)
	}
	return out
}

// The first deploy purges nothing; the next purges the one changed post,
// planned from this checkout's record; a deploy from a fresh checkout
// (no .verge/) plans from the record the live site serves; a deploy of
// the live build is unchanged.
func TestCloudflareDeploy(t *testing.T) {
	f := newCF(t)
	first := f.deploy(t, nil)
	if first.Unchanged || first.Purge == nil || first.Purge.Everything || len(f.fake.Purges()) != 0 {
		t.Fatalf("first deploy %+v purged %+v", first, f.fake.Purges())
	}
	second := f.deploy(t, map[int]string{1: " edited"})
	if got := strings.Join(f.tagsPurged(), ","); got != "fn:e:posts/p1,tree:/posts/p1/" || second.Version == "" || second.Version == first.Version {
		t.Fatalf("second deploy %+v purged %q, want the page's tag and the entry's function tag", second, got)
	}
	if _, err := os.Stat(filepath.Join(f.site.Layout.CloudflareBuilds(), second.BuildID)); err != nil {
		t.Errorf("no record of the deployed build: %v", err)
	}
	if err := os.RemoveAll(f.site.Layout.Root); err != nil {
		t.Fatal(err)
	}
	tg, _ := Open("cloudflare", f.site)
	live, err := tg.Live(t.Context())
	if err != nil || live.Manifest == nil || live.Manifest.BuildID != second.BuildID {
		t.Fatalf("Live from a fresh checkout: %+v, %v", live.Manifest, err)
	}
	f.deploy(t, map[int]string{1: " edited", 2: " too"})
	if got := strings.Join(f.tagsPurged(), ","); got != "fn:e:posts/p1,tree:/posts/p1/,fn:e:posts/p2,tree:/posts/p2/" {
		t.Errorf("fresh-checkout deploy purged %q, want the one post more", got)
	}
	if again := f.deploy(t, map[int]string{1: " edited", 2: " too"}); !again.Unchanged {
		t.Errorf("redeploy of the live build: %+v", again)
	}
}

// Versions lists what was deployed; a rollback goes back to the build
// before and purges what differs.
func TestCloudflareRollback(t *testing.T) {
	f := newCF(t)
	f.deploy(t, nil)
	f.deploy(t, map[int]string{0: "!"})
	tg, _ := Open("cloudflare", f.site)
	var out bytes.Buffer
	o := Options{Stdout: &out, Stderr: &out, PurgeWait: 5 * time.Second}
	if err := tg.Versions(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "100%") {
		t.Errorf("versions:\n%s", out.String())
	}
	out.Reset()
	if err := tg.Rollback(t.Context(), "", o); err != nil {
		t.Fatalf("rollback: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "rolled back from ") || strings.Join(f.tagsPurged(), ",") != "fn:e:posts/p0,tree:/posts/p0/,fn:e:posts/p0,tree:/posts/p0/" {
		t.Errorf("rollback said %q, purged %v", out.String(), f.tagsPurged())
	}
}

// A dry run says what the live version lacks, and changes nothing.
func TestCloudflareDryRun(t *testing.T) {
	f := newCF(t)
	f.deploy(t, nil)
	writeBuild(t, f.dist, posts(3, map[int]string{2: "!"}), versions(3, map[int]string{2: "!"}))
	tg, _ := Open("cloudflare", f.site)
	var out bytes.Buffer
	if err := tg.DryRun(t.Context(), f.dist, Options{Stdout: &out, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var rep DryRunReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Upload) != 1 || rep.Upload[0].Path != "/posts/p2/index.html" || strings.Join(rep.Purge.Tags, ",") != "tree:/posts/p2/,fn:e:posts/p2" {
		t.Errorf("dry run %+v", rep)
	}
	if len(f.fake.Purges()) != 0 {
		t.Errorf("a dry run purged %+v", f.fake.Purges())
	}
}
