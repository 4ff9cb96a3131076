package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/manifest"
)

// makeDist writes files (URL path -> content) as pages, with their
// manifest, into a fresh output directory, as a build would.
func makeDist(t testing.TB, files map[string]string) string {
	t.Helper()
	var list []distFile
	for p, c := range files {
		list = append(list, distFile{path: p, kind: manifest.KindPage, content: c, ct: "text/html; charset=utf-8"})
	}
	return makeRichDist(t, list)
}

// makeRichDist writes files and their manifest, with the cache headers
// and tags a build gives each kind of file.
func makeRichDist(t testing.TB, files []distFile, fns ...manifest.Function) string {
	t.Helper()
	dir := t.TempDir()
	m := &manifest.Manifest{Schema: manifest.SchemaVersion, Functions: fns}
	id := sha256.New()
	slices.SortFunc(files, func(a, b distFile) int { return strings.Compare(a.path, b.path) })
	for _, df := range files {
		data := []byte(df.content)
		abs := filepath.Join(dir, filepath.FromSlash(df.path))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f := manifest.File{Path: df.path, Route: df.route, Kind: df.kind, Size: int64(len(data)), SHA256: manifest.SHA256(data), ContentType: df.ct}
		switch df.kind {
		case manifest.KindPage:
			f.CacheControl, f.CDNCacheControl = "public, max-age=60, must-revalidate", "public, max-age=31536000"
			f.Tags = []string{"site", "e:posts/a"}
		case manifest.KindAsset:
			f.CacheControl = "public, max-age=31536000, immutable"
		default:
			f.CacheControl = "public, max-age=3600"
		}
		m.Files = append(m.Files, f)
		fmt.Fprintf(id, "%s %s\n", f.Path, f.SHA256)
	}
	m.BuildID = hex.EncodeToString(id.Sum(nil)[:16])
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustDeploy(t *testing.T, s *Store, dist string) *DeployReport {
	t.Helper()
	rep, err := s.Deploy(context.Background(), dist, 0)
	if err != nil {
		t.Fatalf("deploy %s: %v", dist, err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("store inconsistent after deploy: %v", err)
	}
	return rep
}

func active(t *testing.T, s *Store) string {
	t.Helper()
	id, err := s.Active()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestDeployVersionsRollback(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	site1 := map[string]string{"/index.html": "home", "/a/index.html": "a", "/b/index.html": "b", "/_assets/x.css": "x"}
	d1 := makeDist(t, site1)
	r1 := mustDeploy(t, s, d1)
	if r1.Uploaded != 4 || r1.Previous != "" || r1.Changes.Added != 4 || active(t, s) != r1.Version {
		t.Fatalf("first deploy: %+v", r1)
	}
	if again := mustDeploy(t, s, d1); !again.Unchanged || again.Version != r1.Version {
		t.Errorf("same build again: %+v, want unchanged", again)
	}

	site2 := maps(site1, "/a/index.html", "a, edited", "/c/index.html", "c")
	delete(site2, "/b/index.html")
	r2 := mustDeploy(t, s, makeDist(t, site2))
	if r2.Uploaded != 2 || r2.Reused != 2 || r2.Previous != r1.Version {
		t.Errorf("second deploy: %+v, want 2 uploaded, 2 reused", r2)
	}
	if want := (Changes{Base: r1.Version, Added: 1, Removed: 1, Modified: 1}); r2.Changes != want {
		t.Errorf("changes %+v, want %+v", r2.Changes, want)
	}
	list, err := s.Versions()
	if err != nil || len(list) != 2 || list[0].ID != r2.Version || !list[0].Active || list[1].Active {
		t.Fatalf("versions: %+v, %v", list, err)
	}

	// Rollback with no version goes to the one active before.
	if from, to, err := s.Rollback(""); err != nil || from != r2.Version || to != r1.Version || active(t, s) != r1.Version {
		t.Fatalf("rollback: %s -> %s, %v", from, to, err)
	}
	if _, to, err := s.Rollback(""); err != nil || to != r2.Version {
		t.Fatalf("rollback of the rollback: -> %s, %v", to, err)
	}
	if _, _, err := s.Rollback("no-such-version"); err == nil || !strings.Contains(err.Error(), "verge versions") {
		t.Errorf("rollback to a missing version: %v", err)
	}
	if _, _, err := s.Rollback("../../etc"); err == nil {
		t.Error("rollback accepted a path")
	}
	// Deploying an older build again reactivates its version.
	if r := mustDeploy(t, s, d1); !r.Reactivated || r.Version != r1.Version {
		t.Errorf("redeploy of build 1: %+v, want its version reactivated", r)
	}
}

func maps(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestCollectKeepsRetainedAndActive(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 5 {
		r, err := s.Deploy(context.Background(), makeDist(t, map[string]string{"/index.html": fmt.Sprint("v", i), "/same.css": "shared"}), 2)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Version)
	}
	list, _ := s.Versions()
	if len(list) != 2 || list[0].ID != ids[4] || list[1].ID != ids[3] {
		t.Fatalf("kept %+v, want the newest two", list)
	}
	blobs := func() int {
		n := 0
		filepath.WalkDir(filepath.Join(s.Dir(), "blobs"), func(_ string, d os.DirEntry, _ error) error {
			if d != nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	if n := blobs(); n != 3 { // two index pages and the shared file
		t.Errorf("%d blobs, want 3", n)
	}
	// The active version is kept whatever its age.
	if _, _, err := s.Rollback(ids[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Deploy(context.Background(), makeDist(t, map[string]string{"/index.html": "v5"}), 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Rollback(ids[3]); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Collect(1)
	if err != nil || rep.Versions != 1 {
		t.Fatalf("collect: %+v %v, want one version removed", rep, err)
	}
	list, _ = s.Versions()
	if len(list) != 2 || list[1].ID != ids[3] || !list[1].Active {
		t.Errorf("kept %+v, want the newest and the active one", list)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestDeployBusy(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := s.lock()
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Deploy(context.Background(), makeDist(t, map[string]string{"/index.html": "x"}), 0)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("deploy while locked: %v, want ErrBusy naming the holder", err)
	}
	unlock()
	mustDeploy(t, s, makeDist(t, map[string]string{"/index.html": "x"}))
}

// Two deploys racing: each succeeds or reports the store busy; the store
// ends consistent with one of them active.
func TestDeployRace(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dists := []string{bigDist(t, "a", 500), bigDist(t, "b", 500)}
	errs := make(chan error, 2)
	ids := make(chan string, 2)
	for _, d := range dists {
		go func() {
			r, err := s.Deploy(context.Background(), d, 0)
			if err == nil {
				ids <- r.Version
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil && !errors.Is(err, ErrBusy) {
			t.Errorf("racing deploy: %v", err)
		}
	}
	close(ids)
	var won []string
	for id := range ids {
		won = append(won, id)
	}
	if len(won) == 0 || !slices.Contains(won, active(t, s)) {
		t.Errorf("active %s, deploys that won %v", active(t, s), won)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// bigDist is a site of n pages of a few KB, tagged so two differ.
func bigDist(t testing.TB, tag string, n int) string {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("/p/%d/index.html", i)] = strings.Repeat(fmt.Sprintf("%s page %d. ", tag, i), 200)
	}
	return makeDist(t, files)
}

// TestMain doubles as the deploy that TestDeployKilled kills.
func TestMain(m *testing.M) {
	if store, dist := os.Getenv("EDGE_TEST_STORE"), os.Getenv("EDGE_TEST_DIST"); store != "" {
		s, err := OpenStore(store)
		if err == nil {
			_, err = s.Deploy(context.Background(), dist, 0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A deploy killed (SIGKILL) at random instants leaves the previous
// version active or the new one, never a mix, and the store consistent;
// running it again completes it. The kill delay adapts to the machine:
// shorter after a deploy that finished first, so that several kills land
// while blobs are being written.
func TestDeployKilled(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	live := mustDeploy(t, s, bigDist(t, "first", 300)).Version

	// How long an undisturbed deploy takes, in another store.
	probe, _ := OpenStore(t.TempDir())
	start := time.Now()
	if _, err := probe.Deploy(context.Background(), bigDist(t, "probe", 400), 0); err != nil {
		t.Fatal(err)
	}
	delay := time.Since(start) / 2

	midway := 0
	for i := 0; i < 40 && midway < 3; i++ {
		dist := bigDist(t, fmt.Sprint("build", i), 400)
		m, err := manifest.Read(dist)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "EDGE_TEST_STORE="+s.Dir(), "EDGE_TEST_DIST="+dist)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(delay)) + 1))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = cmd.Wait()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
			// Killed: did it get as far as writing blobs of the new build?
			first, middle := m.Files[0], m.Files[len(m.Files)/2]
			if active(t, s) == live && (s.hasBlob(first.SHA256, first.Size) || s.hasBlob(middle.SHA256, middle.Size)) {
				midway++
			}
		case err != nil:
			t.Fatalf("deploy %d failed: %v\n%s", i, err, stderr.String())
		default:
			delay = max(delay/2, time.Millisecond) // it finished first: kill sooner
		}
		// Live is the old version or the whole new one.
		if err := s.Check(); err != nil {
			t.Fatalf("after kill %d: store inconsistent: %v", i, err)
		}
		if a := active(t, s); a != live {
			if v, err := s.Version(a); err != nil || v.BuildID != m.BuildID {
				t.Fatalf("after kill %d: active %s is neither the old version nor the new build (%v)", i, a, err)
			}
		}
		// Running the deploy again completes it.
		r := mustDeploy(t, s, dist)
		if v, err := s.Version(r.Version); err != nil || v.BuildID != m.BuildID || active(t, s) != r.Version {
			t.Fatalf("re-run %d: %+v, %v", i, r, err)
		}
		if ents, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(ents) > 0 {
			t.Errorf("re-run %d: %d leftovers in tmp/", i, len(ents))
		}
		live = r.Version
	}
	if midway < 3 {
		t.Fatalf("only %d deploys were killed while writing blobs", midway)
	}
}

// A deploy keeps the build's tag versions beside its manifest, for the
// next deploy's purge plan; retention removes them with the version.
func TestDeployKeepsTagVersions(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		dist := makeDist(t, map[string]string{"/index.html": fmt.Sprintf("<p>v%d</p>", i)})
		if err := os.WriteFile(filepath.Join(dist, "_verge", "versions.json"), []byte(fmt.Sprintf(`{"site":"%d"}`, i)), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Deploy(context.Background(), dist, 2)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rep.Version)
	}
	if tv, err := s.TagVersions(ids[2]); err != nil || tv["site"] != "2" {
		t.Errorf("tag versions of the live version: %v %v", tv, err)
	}
	if tv, err := s.TagVersions(ids[0]); err != nil || tv != nil {
		t.Errorf("tag versions of a collected version: %v %v, want none", tv, err)
	}
	list, err := s.Versions()
	if err != nil || len(list) != 2 {
		t.Errorf("versions: %d (%v), want 2", len(list), err)
	}
}
