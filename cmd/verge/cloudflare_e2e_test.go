package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/deploy"
	"github.com/vergehq/verge/internal/cffake"
	"github.com/vergehq/verge/internal/manifest"
)

// cfBench is the benchmark site on a generated corpus, deployed to a
// fake Cloudflare by the real CLI.
type cfBench struct {
	t      *testing.T
	bin    string
	corpus string // the generated corpus (content/ and assets/)
	out    string // the build output
	dir    string // the deploy's site dir: verge.toml and .verge/
	fake   *cffake.Server
	site   *httptest.Server
	env    []string
}

func newCFBench(t *testing.T, pages int) *cfBench {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the bench site")
	}
	gen := filepath.Join(repoRoot(t), "..", "shared", "corpus", "gen.py")
	if _, err := os.Stat(gen); err != nil {
		t.Skip("shared/corpus/gen.py not beside the checkout")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	b := &cfBench{t: t, bin: vergeBin(t), corpus: t.TempDir(), out: filepath.Join(t.TempDir(), "out"), dir: t.TempDir()}
	if out, err := exec.Command("python3", gen, b.corpus, "--pages", fmt.Sprint(pages)).CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	b.fake = cffake.New(cffake.Options{BucketFiles: 40})
	api := httptest.NewServer(b.fake)
	t.Cleanup(api.Close)
	b.site = httptest.NewServer(b.fake.Site("bench"))
	t.Cleanup(b.site.Close)
	toml := fmt.Sprintf("output_dir = %q\n\n[cloudflare]\naccount_id = \"acct\"\nscript = \"bench\"\nzone_id = \"zone\"\nurl = %q\n", b.out, b.site.URL)
	if err := os.WriteFile(filepath.Join(b.dir, "verge.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	b.env = []string{"CLOUDFLARE_API_TOKEN=test-token", "CLOUDFLARE_BASE_URL=" + api.URL + "/client/v4/"}
	return b
}

func (b *cfBench) build() *manifest.Manifest {
	b.t.Helper()
	cmd := exec.Command(b.bin, "build", "examples/bench", "--out", b.out, "-q")
	cmd.Dir = repoRoot(b.t)
	cmd.Env = append(os.Environ(), "VERGE_CORPUS="+b.corpus)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("verge build: %v\n%s", err, out)
	}
	m, err := manifest.Read(b.out)
	if err != nil {
		b.t.Fatal(err)
	}
	return m
}

func (b *cfBench) command(args ...string) *exec.Cmd {
	cmd := exec.Command(b.bin, args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), b.env...)
	return cmd
}

func (b *cfBench) verge(args ...string) string {
	b.t.Helper()
	out, err := b.command(args...).CombinedOutput()
	if err != nil {
		b.t.Fatalf("verge %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// deploy runs verge deploy --target cloudflare --json.
func (b *cfBench) deploy() deploy.CloudflareReport {
	b.t.Helper()
	out, err := b.command("deploy", "--target", "cloudflare", "--json").Output()
	if err != nil {
		b.t.Fatalf("verge deploy: %v\n%s", err, out)
	}
	var rep deploy.CloudflareReport
	if err := json.Unmarshal(out, &rep); err != nil {
		b.t.Fatalf("deploy report %q: %v", out, err)
	}
	return rep
}

func (b *cfBench) get(p string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := http.Get(b.site.URL + p)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// edit appends a paragraph to posts' bodies.
func (b *cfBench) edit(text string, posts ...int) {
	b.t.Helper()
	for _, n := range posts {
		p := filepath.Join(b.corpus, "content", "posts", fmt.Sprintf("post-%05d.md", n))
		data, err := os.ReadFile(p)
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(p, append(data, "\n"+text+"\n"...), 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// newHashes counts the files of next whose bytes prev does not have:
// what Cloudflare must be sent.
func newHashes(prev, next *manifest.Manifest) int {
	have := map[string]bool{}
	for _, f := range prev.Files {
		have[f.AssetHash] = true
	}
	seen := map[string]bool{}
	for _, f := range next.Files {
		if !have[f.AssetHash] && !seen[f.AssetHash] {
			seen[f.AssetHash] = true
		}
	}
	return len(seen)
}

// The 1,000-post site on (a fake) Cloudflare: the first deploy uploads
// everything and serves it; deploying again uploads and purges nothing;
// a one-post edit uploads only the files whose bytes changed and purges a
// plan that covers every changed URL; rollback brings the old post back.
func TestCloudflareDeploy(t *testing.T) {
	b := newCFBench(t, 1000)
	m1 := b.build()
	rep := b.deploy()
	if rep.Files != len(m1.Files) || rep.Uploaded != newHashes(&manifest.Manifest{}, m1) || rep.Records != 2 || rep.Version == "" {
		t.Fatalf("first deploy of %d files: %+v", len(m1.Files), rep.Report)
	}
	code, body, hdr := b.get("/posts/post-00042/")
	if code != 200 || !strings.Contains(body, "Post 42") || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("/posts/post-00042/: %d %s", code, hdr)
	}
	if len(b.fake.Purges()) != 0 {
		t.Errorf("a first deploy purged: %v", b.fake.Purges())
	}

	uploads := b.fake.Uploads()
	if out := b.verge("deploy", "--target", "cloudflare"); !strings.Contains(out, "nothing to deploy") {
		t.Errorf("unchanged redeploy:\n%s", out)
	}
	b.build() // a rebuild of the same input is the same build
	if rep := b.deploy(); !rep.Unchanged || b.fake.Uploads() != uploads || len(b.fake.Purges()) != 0 || b.fake.Count(cffake.OpScript) != 1 {
		t.Errorf("rebuilt, unchanged redeploy: %+v; fake uploads %+v (before %+v), purges %d, script uploads %d",
			rep, b.fake.Uploads(), uploads, len(b.fake.Purges()), b.fake.Count(cffake.OpScript))
	}

	b.edit("An edit at the end of the post.", 42)
	m2 := b.build()
	var dry deploy.DryRunReport
	if err := json.Unmarshal([]byte(b.verge("deploy", "--target", "cloudflare", "--dry-run", "--json")), &dry); err != nil {
		t.Fatal(err)
	}
	if len(dry.Upload) != newHashes(m1, m2) || !slices.Contains(dry.Purge.Tags, "tree:/posts/post-00042/") || dry.Requests != 1 {
		t.Errorf("dry run: upload %v, purge %+v, %d requests", dry.Upload, dry.Purge, dry.Requests)
	}
	if b.fake.Count(cffake.OpScript) != 1 {
		t.Error("the dry run deployed")
	}
	rep = b.deploy()
	if want := newHashes(m1, m2); rep.Uploaded != want || want == 0 {
		t.Errorf("one-post edit uploaded %d files, want the %d whose bytes changed", rep.Uploaded, want)
	}
	if _, body, _ := b.get("/posts/post-00042/"); !strings.Contains(body, "An edit at the end") {
		t.Error("the edit is not live")
	}
	if len(rep.Purge.Changed) == 0 || !slices.Contains(rep.Purge.Tags, "fn:e:posts/post-00042") {
		t.Errorf("purge plan %+v", rep.Purge)
	}
	for _, u := range rep.Purge.Changed {
		if !slices.Contains(rep.Purge.URLs, u) && !slices.Contains(rep.Purge.Files, u) {
			t.Errorf("changed URL %s is not purged", u)
		}
	}
	// At least 95% of what is purged changed (a body edit: the post alone).
	hit := 0
	for _, u := range rep.Purge.URLs {
		if slices.Contains(rep.Purge.Changed, u) {
			hit++
		}
	}
	if len(rep.Purge.URLs) == 0 || float64(hit) < 0.95*float64(len(rep.Purge.URLs)) {
		t.Errorf("purged %v, of which %d changed", rep.Purge.URLs, hit)
	}
	var sent []string
	for _, p := range b.fake.Purges() {
		sent = append(sent, p.Tags...)
	}
	if !slices.Equal(slices.Sorted(slices.Values(sent)), slices.Sorted(slices.Values(rep.Purge.Tags))) {
		t.Errorf("Cloudflare got tags %v, the plan has %v", sent, rep.Purge.Tags)
	}

	// From a fresh checkout (no .verge/): the plan comes from the record
	// the live site carries, as exact as from the local one.
	if err := os.RemoveAll(filepath.Join(b.dir, ".verge")); err != nil {
		t.Fatal(err)
	}
	b.edit("A second edit, from CI.", 43)
	m3 := b.build()
	rep3 := b.deploy()
	if rep3.Purge.Everything || !slices.Contains(rep3.Purge.Tags, "tree:/posts/post-00043/") || len(rep3.Purge.URLs) != 1 || rep3.Uploaded != newHashes(m2, m3) {
		t.Errorf("deploy from a fresh checkout: uploaded %d, purge %+v", rep3.Uploaded, rep3.Purge)
	}

	out := b.verge("purge", "--content", "content/posts/post-00042.md")
	if !strings.Contains(out, "tag e:posts/post-00042, read by ") || !strings.Contains(out, "purged at cloudflare: 1 purges sent") {
		t.Errorf("purge --content:\n%s", out)
	}

	var versions []struct {
		ID         string  `json:"id"`
		BuildID    string  `json:"build_id"`
		Percentage float64 `json:"percentage"`
	}
	if err := json.Unmarshal([]byte(b.verge("versions", "--target", "cloudflare", "--json")), &versions); err != nil || len(versions) != 3 ||
		versions[0].BuildID != m3.BuildID || versions[0].Percentage != 100 {
		t.Fatalf("versions: %+v (%v)", versions, err)
	}
	if out := b.verge("rollback", "--target", "cloudflare", "--dir", b.dir); !strings.Contains(out, "rolled back from "+versions[0].ID+" to "+versions[1].ID) {
		t.Errorf("rollback:\n%s", out)
	}
	if _, body, _ := b.get("/posts/post-00043/"); strings.Contains(body, "A second edit") {
		t.Error("after the rollback the edit is still live")
	}
}

// A deploy killed mid-upload leaves the live version serving; run again,
// it uploads only what is still missing. A purge killed while it is being
// sent is still queued after the crash, and goes out on the next run.
func TestCloudflareInterrupted(t *testing.T) {
	b := newCFBench(t, 300)
	m1 := b.build()
	b.deploy()
	posts := make([]int, 200)
	for i := range posts {
		posts[i] = i
	}
	b.edit("Edited in bulk.", posts...)
	m2 := b.build()
	missing := newHashes(m1, m2)
	before := b.fake.Uploads().Files
	b.fake.StallAfter(cffake.OpUpload, 2, 1000)
	cmd := b.command("deploy", "--target", "cloudflare")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once the two buckets before the stall have landed (the
	// fake has taken them whole) and the third hangs.
	deadline := time.Now().Add(30 * time.Second)
	for (b.fake.Uploads().Files-before < 2*40 || b.fake.Count(cffake.OpUpload) < 3) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// A bucket the fake was reading when the client died may still land:
	// wait for the count to settle.
	for last := -1; ; time.Sleep(200 * time.Millisecond) {
		if n := b.fake.Uploads().Files; n != last {
			last = n
			continue
		}
		break
	}
	done := b.fake.Uploads().Files - before
	if done == 0 || done >= missing+1 {
		t.Fatalf("killed deploy uploaded %d of %d files", done, missing)
	}
	if _, body, _ := b.get("/posts/post-00010/"); strings.Contains(body, "Edited in bulk") {
		t.Fatal("a killed deploy went live")
	}
	b.fake.Heal()
	rep := b.deploy()
	// missing files of the build, and the build's record.
	if got := rep.Uploaded + rep.Records; got != missing+1-done {
		t.Errorf("resumed deploy uploaded %d files, want the %d still missing", got, missing+1-done)
	}
	if _, body, _ := b.get("/posts/post-00010/"); !strings.Contains(body, "Edited in bulk") {
		t.Error("the resumed deploy is not live")
	}

	// A purge crashes while being sent.
	purges := b.fake.Count(cffake.OpPurge)
	b.fake.Stall(cffake.OpPurge, 1)
	cmd = b.command("purge", "--tag", "e:posts/post-00007")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for b.fake.Count(cffake.OpPurge) == purges && time.Now().Before(deadline.Add(30*time.Second)) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if out := b.verge("purge", "--status"); !strings.Contains(out, `"fn:e:posts/post-00007"`) || !strings.Contains(out, "pending") {
		t.Fatalf("after the crash the purge is gone:\n%s", out)
	}
	b.verge("purge")
	got := b.fake.Purges()
	if len(got) == 0 || !slices.Contains(got[len(got)-1].Tags, "fn:e:posts/post-00007") {
		t.Errorf("the purge never reached Cloudflare: %+v", got)
	}
}

// A change of deploy settings alone (here: the origin the functions go
// to) makes a new version, and purges nothing: no page changed. A deploy
// whose purge cannot go out in its --purge-wait exits with status 3.
func TestCloudflareSettingsAndPendingPurge(t *testing.T) {
	b := newCFBench(t, 50)
	b.build()
	b.deploy()
	cfg := filepath.Join(b.dir, "verge.toml")
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(data, "origin = \"https://origin.example.com\"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	b.build()
	rep := b.deploy()
	if rep.Unchanged || b.fake.Count(cffake.OpScript) != 2 || rep.Purge.Everything || len(rep.Purge.Tags) != 0 {
		t.Errorf("settings-only redeploy: %+v, purge %+v, script uploads %d", rep.Report, rep.Purge, b.fake.Count(cffake.OpScript))
	}

	b.edit("Edited while Cloudflare's purge API is down.", 7)
	b.build()
	b.fake.Fail(cffake.OpPurge, 1000, http.StatusServiceUnavailable)
	cmd := b.command("deploy", "--target", "cloudflare", "--purge-wait", "3s")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "its purge did not all go out") {
		t.Fatalf("deploy with the purge API down: %v\n%s", err, out)
	}
	if _, body, _ := b.get("/posts/post-00007/"); !strings.Contains(body, "Edited while") {
		t.Error("the deploy did not go live")
	}
	b.fake.Heal()
	if out := b.verge("purge"); !strings.Contains(out, "purged at cloudflare: 1 purges sent") {
		t.Errorf("the queued purge, later:\n%s", out)
	}
}
