// Command cfdeploy prints what verge deploy --target cloudflare uploads
// and purges on the generated corpus, against the local fake of
// Cloudflare's API (internal/cffake), through the real CLI: a first
// deploy, an unchanged redeploy, one-post edits (body, title, and body of
// a post whose summary comes from its body), a new post and a template
// change touching every page.
//
//	go run ./examples/bench/cfdeploy [-pages 10000]
//
// For each deploy it prints the files and bytes uploaded, the files whose
// bytes changed, and for the purge: the URLs that changed, the URLs the
// purges Cloudflare got reach (their tags looked up in the Cache-Tags the
// live build served, their URLs, or everything), the recall (changed URLs
// reached) and precision (reached URLs that changed), and the requests.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vergehq/verge/examples/bench/internal/benchkit"
	"github.com/vergehq/verge/internal/cffake"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/manifest"
)

func main() {
	pages := flag.Int("pages", 10000, "posts in the generated corpus")
	shared := flag.String("shared", "", "the shared/ directory (default: beside the checkout)")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*pages, *shared); err != nil {
		log.Fatal(err)
	}
}

// deployReport is the part of verge deploy --json that the figures use.
type deployReport struct {
	Files         int   `json:"files"`
	Uploaded      int   `json:"uploaded"`
	Records       int   `json:"records"`
	UploadedBytes int64 `json:"uploaded_bytes"`
	Unchanged     bool  `json:"unchanged"`
	Purge         struct {
		Everything bool     `json:"everything"`
		Tags       []string `json:"tags"`
		URLs       []string `json:"urls"`
		Files      []string `json:"files"`
		Changed    []string `json:"changed_urls"`
	} `json:"purge"`
}

type row struct {
	name              string
	files             int
	uploaded, changed int
	records           int
	bytes             int64
	took              time.Duration
	changedURLs       int
	purgedURLs        int
	recall, precision string
	everything        bool
	requests          int
}

func run(pages int, sharedFlag string) error {
	b, err := benchkit.NewPurgeBench("cfdeploy", pages, sharedFlag)
	if err != nil {
		return err
	}
	defer b.Close()
	repo, work, corpus, verge, siteDir := b.Repo, b.Work, b.Corpus, b.Verge, b.Site

	fake := cffake.New(cffake.Options{})
	api := httptest.NewServer(fake)
	defer api.Close()
	siteSrv := httptest.NewServer(fake.Site("bench"))
	defer siteSrv.Close()
	out := filepath.Join(work, "dist")
	deployDir := filepath.Join(work, "deploy")
	if err := os.MkdirAll(deployDir, 0o755); err != nil {
		return err
	}
	toml := fmt.Sprintf("output_dir = %q\n\n[cloudflare]\naccount_id = \"acct\"\nscript = \"bench\"\nzone_id = \"zone\"\nurl = %q\n", out, siteSrv.URL)
	if err := os.WriteFile(filepath.Join(deployDir, "verge.toml"), []byte(toml), 0o644); err != nil {
		return err
	}
	env := []string{"CLOUDFLARE_API_TOKEN=test-token", "CLOUDFLARE_BASE_URL=" + api.URL + "/client/v4/", "VERGE_CORPUS=" + corpus}

	build := func() (*manifest.Manifest, error) {
		if err := benchkit.Sh(repo, env, verge, "build", siteDir, "-q", "--out", out); err != nil {
			return nil, err
		}
		return manifest.Read(out)
	}
	var rows []row
	var prev *manifest.Manifest
	step := func(name string, change func() error) error {
		if err := change(); err != nil {
			return err
		}
		m, err := build()
		if err != nil {
			return err
		}
		purges := fake.Count(cffake.OpPurge)
		start := time.Now()
		cmd := exec.Command(verge, "deploy", "--target", "cloudflare", "--json")
		cmd.Dir, cmd.Env, cmd.Stderr = deployDir, append(os.Environ(), env...), os.Stderr
		data, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: verge deploy: %w", name, err)
		}
		took := time.Since(start)
		var rep deployReport
		if err := json.Unmarshal(data, &rep); err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, data)
		}
		sent := fake.Purges()[len(fake.Purges())-(fake.Count(cffake.OpPurge)-purges):]
		r := row{name: name, files: len(m.Files), uploaded: rep.Uploaded, records: rep.Records, bytes: rep.UploadedBytes, took: took,
			changed: changedFiles(prev, m), changedURLs: len(rep.Purge.Changed), requests: len(sent)}
		reached := reachedURLs(prev, m, sent, siteSrv.URL)
		r.purgedURLs, r.everything = len(reached), slices.ContainsFunc(sent, func(p cffake.Purge) bool { return p.Everything })
		hit := 0
		for _, u := range rep.Purge.Changed {
			if reached[u] {
				hit++
			}
		}
		r.recall, r.precision = benchkit.Share(hit, len(rep.Purge.Changed)), benchkit.Share(hit, len(reached))
		rows = append(rows, r)
		prev = m
		return nil
	}
	for _, s := range benchkit.PurgeEdits(corpus, siteDir, pages) {
		if err := step(s.Name, s.Change); err != nil {
			return err
		}
	}
	fmt.Printf("verge deploy --target cloudflare, %d posts, against the local fake of Cloudflare's API\n", pages)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tfiles\tuploaded\tfiles changed\tbytes\trecords\ttook\tURLs changed\tURLs purged\trecall\tprecision\tpurge requests\t")
	for _, r := range rows {
		purged := fmt.Sprint(r.purgedURLs)
		if r.everything {
			purged = "everything (" + purged + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%d\t\n", r.name, r.files, r.uploaded, r.changed, human.Bytes(r.bytes),
			r.records, r.took.Round(time.Millisecond), r.changedURLs, purged, r.recall, r.precision, r.requests)
	}
	tw.Flush()
	fmt.Println("uploaded: files of the build Cloudflare lacked; files changed: those whose bytes the previous build did not have;")
	fmt.Println("records: Verge's own files uploaded with the version (the build's record for purge planning, the kept-assets record).")
	return nil
}

// reachedURLs are the URLs the purges sent reach: every URL of prev (what
// was live) when one purged everything, else those whose Cache-Tag as
// prev served it holds a purged tag, and the purged files (absolute on
// site), which may be URLs of m that prev lacked.
func reachedURLs(prev, m *manifest.Manifest, sent []cffake.Purge, site string) map[string]bool {
	out := map[string]bool{}
	if prev == nil {
		return out
	}
	tags := map[string]bool{}
	for _, p := range sent {
		for _, t := range p.Tags {
			tags[strings.ToLower(t)] = true
		}
		for _, f := range p.Files {
			out[strings.TrimPrefix(f, site)] = true
		}
	}
	for _, f := range prev.Files {
		if slices.ContainsFunc(sent, func(p cffake.Purge) bool { return p.Everything }) ||
			slices.ContainsFunc(f.HeaderTags(), func(t string) bool { return tags[strings.ToLower(t)] }) {
			out[f.URL()] = true
		}
	}
	return out
}

// changedFiles counts the files of m whose bytes prev lacks (all of
// them when prev is nil).
func changedFiles(prev, m *manifest.Manifest) int {
	have := map[string]bool{}
	if prev != nil {
		for _, f := range prev.Files {
			have[f.AssetHash] = true
		}
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !have[f.AssetHash] {
			seen[f.AssetHash] = true
		}
	}
	return len(seen)
}
