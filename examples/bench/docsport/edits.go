package main

// The edits the benchmark makes, and how it picks the pages it makes them
// to: deterministically, from the converted tree alone, so two runs (and
// two versions of Verge) edit the same pages the same way.

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// target is a page the benchmark edits: a doc page whose summary is its
// first paragraph (no summary in its front matter, no <!--more-->), with
// a last paragraph of its own after it.
type target struct {
	File    string // absolute path of the converted Markdown file
	ID      string // its ID in the docs collection, e.g. "methods/page/aliases"
	Section string // its directory, the section its sidebar lists
	Pages   int    // doc pages in that section
}

// URL is the target's page URL.
func (t target) URL() string { return "/" + t.ID + "/" }

// pickTargets picks one target in the section with the most doc pages and
// one in the section with the fewest (at least three, so the page has a
// sidebar to speak of); ties go to the first section by name, and within a
// section the first qualifying page by path.
func pickTargets(root string) (big, small target, err error) {
	docs := filepath.Join(root, "content", "docs")
	bySection := map[string][]string{}
	err = filepath.WalkDir(docs, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(docs, p)
			dir := path.Dir(filepath.ToSlash(rel))
			bySection[dir] = append(bySection[dir], p)
		}
		return err
	})
	if err != nil {
		return big, small, err
	}
	var sections []string
	for s, files := range bySection {
		if s != "." && len(files) >= 3 {
			sections = append(sections, s)
		}
	}
	if len(sections) == 0 {
		return big, small, fmt.Errorf("%s has no section of three pages or more", docs)
	}
	pick := func(order func(a, b string) int) (target, error) {
		slices.SortFunc(sections, func(a, b string) int { return cmp.Or(order(a, b), strings.Compare(a, b)) })
		for _, s := range sections {
			files := slices.Sorted(slices.Values(bySection[s]))
			for _, f := range files {
				if _, ok := paragraphs(f); ok {
					rel, _ := filepath.Rel(docs, f)
					return target{File: f, ID: strings.TrimSuffix(filepath.ToSlash(rel), ".md"), Section: s, Pages: len(files)}, nil
				}
			}
		}
		return target{}, fmt.Errorf("no page under %s has a first-paragraph summary and a last paragraph", docs)
	}
	size := func(s string) int { return len(bySection[s]) }
	if big, err = pick(func(a, b string) int { return cmp.Compare(size(b), size(a)) }); err != nil {
		return big, small, err
	}
	small, err = pick(func(a, b string) int { return cmp.Compare(size(a), size(b)) })
	return big, small, err
}

// paraEnds are the offsets in a Markdown file just after the text of its
// first and its last paragraph.
type paraEnds struct{ first, last int }

// paragraphs finds where the first and the last paragraph of the file at p
// end, when the file qualifies as a target: YAML front matter without a
// summary, no <!--more-->, a body whose first block (headings aside) and
// last block are distinct paragraphs, neither holding a shortcode.
func paragraphs(p string) (paraEnds, bool) {
	src, err := os.ReadFile(p)
	if err != nil || !bytes.HasPrefix(src, []byte("---\n")) {
		return paraEnds{}, false
	}
	end := bytes.Index(src[4:], []byte("\n---\n"))
	if end < 0 {
		return paraEnds{}, false
	}
	fm, bodyAt := src[4:4+end], 4+end+5
	body := src[bodyAt:]
	if bytes.Contains(fm, []byte("\nsummary:")) || bytes.HasPrefix(fm, []byte("summary:")) || bytes.Contains(body, []byte("<!--more-->")) {
		return paraEnds{}, false
	}
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(body))
	var paras []ast.Node
	first := true
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if n.Kind() == ast.KindHeading {
			continue
		}
		if first && n.Kind() != ast.KindParagraph {
			return paraEnds{}, false // the summary would come from a list or a quote
		}
		first = false
		if n.Kind() == ast.KindParagraph {
			paras = append(paras, n)
		}
	}
	if len(paras) < 2 || doc.LastChild().Kind() != ast.KindParagraph {
		return paraEnds{}, false
	}
	ends := [2]int{}
	for i, n := range []ast.Node{paras[0], paras[len(paras)-1]} {
		lines := n.Lines()
		seg := lines.At(lines.Len() - 1)
		from := lines.At(0).Start
		if bytes.Contains(body[from:seg.Stop], []byte("{{")) {
			return paraEnds{}, false
		}
		ends[i] = bodyAt + len(bytes.TrimRight(body[:seg.Stop], " \t\r\n"))
	}
	return paraEnds{ends[0], ends[1]}, true
}

// appendToLastParagraph adds a sentence at the end of the last paragraph
// of t's body: the page's summary (its first paragraph) stays as it was.
func appendToLastParagraph(t target) error {
	return editAt(t, func(p paraEnds) int { return p.last }, func(src []byte, at int) []byte {
		return slices.Concat(src[:at], []byte(" One more sentence, added at the end."), src[at:])
	})
}

// changeFirstParagraph rewrites the last sentence of t's first paragraph
// (its summary changes).
func changeFirstParagraph(t target) error {
	return editAt(t, func(p paraEnds) int { return p.first }, func(src []byte, at int) []byte {
		if at > 0 && src[at-1] == '.' {
			return slices.Concat(src[:at-1], []byte(", as revised."), src[at:])
		}
		return slices.Concat(src[:at], []byte(" (revised)"), src[at:])
	})
}

// editAt rewrites t's file with edit at the offset where picks.
func editAt(t target, where func(paraEnds) int, edit func(src []byte, at int) []byte) error {
	ends, ok := paragraphs(t.File)
	if !ok {
		return fmt.Errorf("%s no longer has a first-paragraph summary and a last paragraph", t.File)
	}
	src, err := os.ReadFile(t.File)
	if err != nil {
		return err
	}
	return os.WriteFile(t.File, edit(src, where(ends)), 0o644)
}

// retitle adds " (revised)" to the title in t's YAML front matter.
func retitle(t target) error {
	src, err := os.ReadFile(t.File)
	if err != nil {
		return err
	}
	lines := strings.Split(string(src), "\n")
	for i, l := range lines[1:] {
		if l == "---" {
			break
		}
		v, ok := strings.CutPrefix(l, "title:")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if n := len(v); n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n-1] == v[0] {
			v = v[:n-1] + " (revised)" + v[n-1:]
		} else {
			v += " (revised)"
		}
		lines[i+1] = "title: " + v
		return os.WriteFile(t.File, []byte(strings.Join(lines, "\n")), 0o644)
	}
	return fmt.Errorf("%s has no title in its front matter", t.File)
}

// addPage writes a new doc page into t's section; it returns its URL.
func addPage(t target) (string, error) {
	p := filepath.Join(filepath.Dir(t.File), "verge-new-page.md")
	page := "---\ntitle: A new page\ndescription: A page the benchmark adds.\n---\n\nThe first paragraph of the new page.\n\nIts second paragraph.\n"
	return "/" + path.Join(t.Section, "verge-new-page") + "/", os.WriteFile(p, []byte(page), 0o644)
}
