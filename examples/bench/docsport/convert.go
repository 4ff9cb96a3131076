package main

// How the Hugo docs become a Verge site source, as a new user would port
// them in a day. The content is kept as written: front matter unchanged
// (Verge reads title, date, weight, tags and slug itself; the site's Meta
// type reads description, linkTitle, keywords, categories and function
// signatures), Hugo shortcodes left in the text (issue 15 adds them).
// What moves is what Verge's collections cannot express in place:
//
//   - Hugo's lowercase URLs: every path is lowercased, so that /{id}/ is
//     Hugo's URL (the 44 `url` overrides of the commands are exactly that);
//   - _index.md: a section's page goes to content/sections/<dir>.md, the
//     home page's to content/home/index.md, since a collection would make
//     /<dir>/_index/ of it;
//   - leaf bundles (<dir>/index.md): the page becomes <dir>.md and its
//     images go to static/<dir>/, where its relative links find them;
//   - the glossary terms (render: never in Hugo) go to content/glossary/,
//     a collection without pages of its own, shown on the glossary page;
//   - aliases become static/_redirects, the menu of hugo.toml data/menu.toml.
//
// Dropped: the headless _common/ snippets (only the include shortcode
// reads them) and the news section's content adapter (a template that
// fetches GitHub releases at build time).

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/vergehq/verge/examples/hugodocs/ui"
)

// convertStats counts what the conversion made of the Hugo tree.
type convertStats struct {
	Docs, Sections, Glossary, Home int // Markdown files by where they went
	Resources                      int // bundle and section images copied to static/
	Redirects                      int // aliases written to static/_redirects
	// Dropped counts the files left out, by reason.
	Dropped map[string]int
	// Noted counts files kept whose front matter asks for what the port
	// does not do, by what.
	Noted map[string]int
}

// String is the summary the program prints.
func (s *convertStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "converted %d Markdown files: %d doc pages, %d section pages, %d home, %d glossary terms; %d images to static/, %d aliases to static/_redirects\n",
		s.Docs+s.Sections+s.Home+s.Glossary, s.Docs, s.Sections, s.Home, s.Glossary, s.Resources, s.Redirects)
	for _, k := range slices.Sorted(maps.Keys(s.Dropped)) {
		fmt.Fprintf(&b, "  dropped %4d  %s\n", s.Dropped[k], k)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Noted)) {
		fmt.Fprintf(&b, "  kept    %4d  %s\n", s.Noted[k], k)
	}
	return b.String()
}

// convert writes the Verge site source for the Hugo docs tree src (the
// archive's root: content/en, data/, hugo.toml) into dst, with css as its
// stylesheet.
func convert(src, dst string, css []byte) (*convertStats, error) {
	st := &convertStats{Dropped: map[string]int{}, Noted: map[string]int{}}
	lang := filepath.Join(src, "content", "en")
	var redirects []string
	written := map[string]string{} // destination -> source, to catch two files lowercasing alike
	put := func(rel string, data []byte, from string) error {
		if prev, ok := written[rel]; ok {
			return fmt.Errorf("%s and %s both convert to %s", prev, from, rel)
		}
		written[rel] = from
		return writeFile(filepath.Join(dst, filepath.FromSlash(rel)), data)
	}
	err := filepath.WalkDir(lang, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(lang, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir, base := path.Dir(rel), path.Base(rel)
		lower := strings.ToLower(rel)
		switch {
		case strings.HasPrefix(rel, "_common/"):
			st.Dropped["headless _common/ snippets, read only by the include shortcode"]++
			return nil
		case strings.HasSuffix(base, ".gotmpl"):
			st.Dropped["content adapter (a template Hugo runs to add pages at build time)"]++
			return nil
		case !strings.HasSuffix(base, ".md"):
			st.Resources++
			return put("static/"+lower, data, rel)
		}
		fm, err := frontMatterOf(data)
		if err != nil {
			// What Verge could not load either: keep the body, under a
			// title, rather than lose the page.
			data, fm = minimal(data, base, fm)
			st.Noted["with front matter Verge cannot decode ("+err.Error()+"): kept with only a title"]++
		}
		var to, url string
		switch {
		case rel == "_index.md":
			to, url = "content/home/index.md", "/"
			st.Home++
		case base == "_index.md":
			to, url = "content/sections/"+strings.ToLower(dir)+".md", "/"+strings.ToLower(dir)+"/"
			st.Sections++
		case dir == "quick-reference/glossary":
			to, url = "content/glossary/"+strings.ToLower(base), ""
			st.Glossary++
		case base == "index.md":
			to, url = "content/docs/"+strings.ToLower(dir)+".md", "/"+strings.ToLower(dir)+"/"
			st.Docs++
		default:
			id := strings.TrimSuffix(lower, ".md")
			to, url = "content/docs/"+id+".md", "/"+id+"/"
			st.Docs++
		}
		if u, ok := fm["url"].(string); ok && url != "" && strings.Trim(u, "/") != strings.Trim(url, "/") {
			st.Noted["with a url override the /{id}/ route does not follow"]++
		}
		if _, ok := fm["expiryDate"]; ok {
			st.Noted["with an expiryDate (Verge publishes them regardless)"]++
		}
		if url != "" {
			for _, a := range stringList(fm["aliases"]) {
				if !strings.HasPrefix(a, "/") {
					a = path.Join("/", strings.ToLower(dir), a) // Hugo resolves it from the page's directory
				}
				redirects = append(redirects, fmt.Sprintf("%s %s 301", a, url))
			}
		}
		return put(to, data, rel)
	})
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", lang, err)
	}
	slices.Sort(redirects)
	redirects = slices.Compact(redirects)
	st.Redirects = len(redirects)
	if len(redirects) > 0 {
		if err := writeFile(filepath.Join(dst, "static", "_redirects"), []byte(strings.Join(redirects, "\n")+"\n")); err != nil {
			return nil, err
		}
	}
	menu, err := convertMenu(filepath.Join(src, "hugo.toml"))
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		rel  string
		data []byte
	}{{"data/menu.toml", menu}, {"assets/css/main.css", css}, {"verge.toml", []byte(vergeTOML)}} {
		if err := writeFile(filepath.Join(dst, f.rel), f.data); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// vergeTOML is the port's config. Link checking is off: about 300 pages
// link through Hugo's link render hook ([term](g) for a glossary term,
// page paths relative to the content tree), which Verge has no
// counterpart of, so those links resolve to nothing.
const vergeTOML = `title = "Hugo"
base_url = "https://gohugo.io/"

[build]
check_links = false

[markdown]
highlight_style = "solarized-dark"
`

// loadable is the front matter as the site program decodes it: Verge's
// common fields and the site's Meta. A file that does not decode into it
// fails the build.
type loadable struct {
	Title   string   `yaml:"title" toml:"title"`
	Draft   bool     `yaml:"draft" toml:"draft"`
	Slug    string   `yaml:"slug" toml:"slug"`
	Summary string   `yaml:"summary" toml:"summary"`
	Tags    []string `yaml:"tags" toml:"tags"`
	Weight  int      `yaml:"weight" toml:"weight"`
	ui.Meta `yaml:",inline" toml:",inline"`
}

// frontMatterOf decodes a Markdown file's front matter into a map (empty
// when it has none), for the converter to read aliases, url and
// expiryDate; an error says the site program could not load the file
// (the map then holds what did decode, if anything).
func frontMatterOf(src []byte) (map[string]any, error) {
	m := map[string]any{}
	for _, f := range []struct {
		fence     string
		unmarshal func([]byte, any) error
	}{{"---", yaml.Unmarshal}, {"+++", toml.Unmarshal}} {
		rest, ok := bytes.CutPrefix(src, []byte(f.fence+"\n"))
		if !ok {
			continue
		}
		end := bytes.Index(rest, []byte("\n"+f.fence+"\n"))
		if end < 0 {
			return m, fmt.Errorf("front matter opened with %s is never closed", f.fence)
		}
		raw := rest[:end+1]
		if err := f.unmarshal(raw, &m); err != nil {
			return m, fmt.Errorf("front matter: %w", firstLine(err))
		}
		var typed loadable
		if err := f.unmarshal(raw, &typed); err != nil {
			return m, fmt.Errorf("front matter: %w", firstLine(err))
		}
		return m, nil
	}
	return m, nil
}

// firstLine is err cut to its first line, enough to group failures by
// (yaml.v3 lists its type errors under a line of their own).
func firstLine(err error) error {
	msg := strings.Replace(err.Error(), "unmarshal errors:\n", "", 1)
	msg, _, _ = strings.Cut(msg, "\n")
	return errors.New(strings.Join(strings.Fields(msg), " "))
}

// minimal is a Markdown file whose front matter cannot be loaded, made
// loadable: its body under a front matter holding only its title (the
// file's name when the title itself does not decode).
func minimal(src []byte, base string, fm map[string]any) ([]byte, map[string]any) {
	body := src
	for _, fence := range []string{"---", "+++"} {
		if rest, ok := bytes.CutPrefix(src, []byte(fence+"\n")); ok {
			if end := bytes.Index(rest, []byte("\n"+fence+"\n")); end >= 0 {
				body = rest[end+len(fence)+2:]
			}
		}
	}
	title, ok := fm["title"].(string)
	if !ok {
		title = strings.TrimSuffix(base, ".md")
	}
	head, _ := yaml.Marshal(map[string]string{"title": title})
	return slices.Concat([]byte("---\n"), head, []byte("---\n"), body), map[string]any{"aliases": fm["aliases"]}
}

// stringList is a front-matter list of strings ([]any as decoded), or a
// single string as one.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// convertMenu is data/menu.toml made from the global menu of hugo.toml.
func convertMenu(hugoTOML string) ([]byte, error) {
	src, err := os.ReadFile(hugoTOML)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Menus struct {
			Global []struct {
				Name    string `toml:"name"`
				URL     string `toml:"url"`
				PageRef string `toml:"pageRef"`
				Weight  int    `toml:"weight"`
			} `toml:"global"`
		} `toml:"menus"`
	}
	if err := toml.Unmarshal(src, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", hugoTOML, err)
	}
	type item struct {
		Name   string `toml:"name"`
		URL    string `toml:"url"`
		Weight int    `toml:"weight"`
	}
	var out struct {
		Global []item `toml:"global"`
	}
	for _, m := range cfg.Menus.Global {
		out.Global = append(out.Global, item{m.Name, cmp.Or(m.URL, m.PageRef), m.Weight})
	}
	slices.SortStableFunc(out.Global, func(a, b item) int { return cmp.Compare(a.Weight, b.Weight) })
	return toml.Marshal(out)
}

// writeFile writes data at p, making its directories.
func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
