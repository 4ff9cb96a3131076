package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// posts is a build of n posts, post i tagged e:posts/pI, edits[i]
// changing its text.
func posts(n int, edits map[int]string) map[string]page {
	out := map[string]page{}
	for i := range n {
		out["/posts/p"+string(rune('0'+i))+"/index.html"] = page{body: "post " + string(rune('0'+i)) + edits[i], tags: []string{"e:posts/p" + string(rune('0'+i))}}
	}
	return out
}

func versions(n int, edits map[int]string) map[string]string {
	out := map[string]string{}
	for i := range n {
		out["e:posts/p"+string(rune('0'+i))] = "v" + edits[i]
	}
	return out
}

// A deploy to the local store purges, at the edges, the tags of what
// changed against the live version; a rollback purges what differs
// between the two versions; a deploy of the live build purges nothing.
func TestLocalDeploy(t *testing.T) {
	edge := newEdge(t, "tok")
	t.Setenv("VERGE_PURGE_TOKEN", "tok")
	s := testSite(t, Config{OutputDir: "dist", PurgeEdges: []string{edge.URL}})
	tg, err := Open("local", s)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Stderr: &bytes.Buffer{}, PurgeWait: 5 * time.Second}
	for i, c := range []struct {
		edits map[int]string
		says  string
		tags  string // sent to the edge by this step
	}{
		{nil, "deployed ", ""}, // nothing was live: nothing to purge
		{map[int]string{1: " edited"}, "  against ", "fn:e:posts/p1,tree:/posts/p1/"},
		{map[int]string{1: " edited"}, "is live already: nothing to deploy", ""},
	} {
		dist := filepath.Join(s.Dir, "dist")
		writeBuild(t, dist, posts(3, c.edits), versions(3, c.edits))
		var out bytes.Buffer
		o.Stdout = &out
		before := len(edge.tags())
		if err := tg.Deploy(t.Context(), dist, o); err != nil {
			t.Fatalf("deploy %d: %v\n%s", i, err, out.String())
		}
		if got := strings.Join(edge.tags()[before:], ","); !strings.Contains(out.String(), c.says) || got != c.tags {
			t.Errorf("deploy %d said %q and purged %q; want %q, purging %q", i, out.String(), got, c.says, c.tags)
		}
	}
	var out bytes.Buffer
	o.Stdout = &out
	if err := tg.Versions(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "*") {
		t.Errorf("versions:\n%s\nwant a header and two versions, the newest live", out.String())
	}
	out.Reset()
	before := len(edge.received())
	if err := tg.Rollback(t.Context(), "", o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "rolled back from ") || strings.Join(edge.tags(), ",") != "fn:e:posts/p1,fn:e:posts/p1,tree:/posts/p1/,tree:/posts/p1/" || len(edge.received()) != before+1 {
		t.Errorf("rollback said %q; the edge got %+v", out.String(), edge.received())
	}
	o.JSON = true
	out.Reset()
	if err := tg.Versions(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 2 || list[0].Active || !list[1].Active {
		t.Errorf("versions --json %s (%v): the older one is live after the rollback", out.String(), err)
	}
}

// A dry run says what would be uploaded and purged, and changes nothing.
func TestLocalDryRun(t *testing.T) {
	s := testSite(t, Config{OutputDir: "dist"})
	tg, err := Open("local", s)
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(s.Dir, "dist")
	writeBuild(t, dist, posts(2, nil), versions(2, nil))
	o := Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	if err := tg.Deploy(t.Context(), dist, o); err != nil {
		t.Fatal(err)
	}
	writeBuild(t, dist, posts(3, map[int]string{0: "!"}), versions(3, map[int]string{0: "!"}))
	var out bytes.Buffer
	o.Stdout, o.JSON = &out, true
	if err := tg.DryRun(t.Context(), dist, o); err != nil {
		t.Fatal(err)
	}
	var rep DryRunReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Upload) != 2 || strings.Join(rep.Purge.Tags, ",") != "tree:/posts/p0/,fn:e:posts/p0,fn:e:posts/p2" || rep.Requests != 2 || strings.Join(rep.Purge.Files, ",") != "/posts/p2/" {
		t.Errorf("dry run %+v: want 2 uploads, the changed page's tag and the two changed tags as function tags, the new page by URL: 2 requests", rep)
	}
	live, err := tg.Live(t.Context())
	if err != nil || live.Manifest == nil || len(live.Manifest.Files) != 2 {
		t.Errorf("a dry run changed what is live: %+v, %v", live.Manifest, err)
	}
	if err := tg.DryRun(t.Context(), t.TempDir(), o); err == nil || !strings.Contains(err.Error(), "build the site first") {
		t.Errorf("dry run of no build: %v", err)
	}
}

// A purge that cannot go out leaves the deploy live and says so with
// ErrPurgePending.
func TestLocalDeployPurgePending(t *testing.T) {
	edge := newEdge(t, "right")
	t.Setenv("VERGE_PURGE_TOKEN", "wrong")
	s := testSite(t, Config{OutputDir: "dist", PurgeEdges: []string{edge.URL}})
	tg, err := Open("local", s)
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(s.Dir, "dist")
	o := Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, PurgeWait: time.Second}
	writeBuild(t, dist, posts(2, nil), versions(2, nil))
	if err := tg.Deploy(t.Context(), dist, o); err != nil {
		t.Fatal(err)
	}
	writeBuild(t, dist, posts(2, map[int]string{1: "!"}), versions(2, map[int]string{1: "!"}))
	if err := tg.Deploy(t.Context(), dist, o); !errors.Is(err, ErrPurgePending) {
		t.Errorf("deploy with a refused purge: %v, want ErrPurgePending", err)
	}
}
