package benchkit

// This file holds the edits the purge benchmarks (cfdeploy, localdeploy)
// make to the generated corpus between deploys, so that both measure the
// same rows.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Edit is one step of a purge benchmark: a name and the change before
// the build and deploy.
type Edit struct {
	Name   string
	Change func() error
}

// PurgeEdits are the steps of the purge benchmarks on the pages-post
// corpus in corpus, with the bench site's copy in siteDir: a first
// deploy, an unchanged one, one post's body and title, a post whose
// summary comes from its body (the summary dropped, then its body edited
// past the first paragraph), a new post, and a template change.
func PurgeEdits(corpus, siteDir string, pages int) []Edit {
	post := filepath.Join(corpus, "content", "posts", fmt.Sprintf("post-%05d.md", pages/2))
	bare := filepath.Join(corpus, "content", "posts", fmt.Sprintf("post-%05d.md", pages/2+1))
	return []Edit{
		{"first deploy", func() error { return nil }},
		{"unchanged redeploy", func() error { return nil }},
		{"one-post edit (body)", func() error { return appendFile(post, "\nOne more paragraph, at the end.\n") }},
		{"one-post edit (title)", func() error { return retitle(post) }},
		{"a post's summary dropped (lists show its first paragraph)", func() error { return dropSummary(bare) }},
		{"body edit without summary (past the first paragraph)", func() error { return appendFile(bare, "\nOne more paragraph, at the end.\n") }},
		{"new post (the newest)", func() error { return newPost(post, filepath.Join(corpus, "content", "posts", "post-new.md")) }},
		{"template change (every page)", func() error {
			return replaceIn(filepath.Join(siteDir, "ui", "ui.templ"), `<a href="/about/">About</a>`, `<a href="/about/">About us</a>`)
		}},
	}
}

func appendFile(p, s string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, append(data, s...), 0o644)
}

func replaceIn(p, old, new string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if !strings.Contains(string(data), old) {
		return fmt.Errorf("%s lacks %q", p, old)
	}
	return os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

// retitle adds to a post's title, keeping its place in the collection's
// order (a title that sorted elsewhere among posts of the same date would
// reorder the lists, a change of its own).
func retitle(p string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, `title: "`) && strings.HasSuffix(l, `"`) {
			lines[i] = strings.TrimSuffix(l, `"`) + ` (revised)"`
			return os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
		}
	}
	return fmt.Errorf("%s has no title line", p)
}

// dropSummary removes a post's summary from its front matter, so that
// lists show its first paragraph.
func dropSummary(p string) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "summary: ") {
			return os.WriteFile(p, []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")), 0o644)
		}
	}
	return fmt.Errorf("%s has no summary line", p)
}

// newPost writes a new post at dst, newer than every other, from the
// post at src.
func newPost(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "title: "):
			lines[i] = `title: "A new post"`
		case strings.HasPrefix(l, "date: "):
			lines[i] = "date: 2031-01-01T10:00:00Z"
		}
	}
	return os.WriteFile(dst, []byte(strings.Join(lines, "\n")), 0o644)
}

// PurgeBench is what a purge benchmark works in: a generated corpus, the
// verge binary, and a copy of the bench site (for the template change),
// all removed by Close.
type PurgeBench struct {
	Repo, Work, Corpus, Verge, Site string
}

// NewPurgeBench generates the pages-post corpus (from shared/, or the
// one beside the checkout when shared is ""), builds verge and copies the
// bench site, for the benchmark called name.
func NewPurgeBench(name string, pages int, shared string) (*PurgeBench, error) {
	repo, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "verge-"+name+"-")
	if err != nil {
		return nil, err
	}
	b := &PurgeBench{Repo: repo, Work: work, Corpus: filepath.Join(work, "corpus"),
		Site: filepath.Join(repo, "examples", fmt.Sprintf("bench-%s-%d", name, os.Getpid()))}
	if err := GenCorpus(SharedDir(repo, shared), b.Corpus, pages); err != nil {
		b.Close()
		return nil, err
	}
	if b.Verge, err = BuildVerge(repo, work); err != nil {
		b.Close()
		return nil, err
	}
	if err := CopySite(repo, b.Site); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close removes what the benchmark made.
func (b *PurgeBench) Close() {
	os.RemoveAll(b.Site)
	os.RemoveAll(b.Work)
}

// Share is n of all as a percentage, "-" when all is 0.
func Share(n, all int) string {
	if all == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(all))
}
