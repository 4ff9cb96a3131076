// Package components holds the blog's templ components and the Go types
// its content and data files decode into.
package components

import (
	"context"
	"strconv"
	"strings"

	"github.com/vergehq/verge/site"
)

// Post is the front matter of content/posts/*.md beyond what Verge reads
// itself (title, date, tags, summary, draft, slug...). Add your own fields
// here and use them in the templates as e.Meta().Field.
type Post struct {
	// Description is the page's <meta name="description">; the summary
	// is used when it is empty.
	Description string `yaml:"description"`
}

// Page is the front matter of the standalone pages in content/, such as
// about.md.
type Page struct {
	Description string `yaml:"description"`
}

// SiteData is data/site.yaml: who writes the blog and where to find them.
type SiteData struct {
	Author      string `yaml:"author"`
	Tagline     string `yaml:"tagline"`
	Description string `yaml:"description"`
	Nav         []Link `yaml:"nav"`
	Social      []Link `yaml:"social"`
}

// Link is a labelled URL.
type Link struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
}

// TagURL is the page of a tag, as declared in main.go ("/tags/{term}/").
func TagURL(tag string) string { return "/tags/" + site.Slugify(tag) + "/" }

// longDate formats an entry's date for people: "March 4, 2025".
func longDate(e *site.Entry[Post]) string { return e.Date().Format("January 2, 2006") }

// readingTime is the minutes of reading the entry's body takes. Pages
// that show it depend on the number, not on the body: an edit that keeps
// it renders none of the lists again.
func readingTime(e *site.Entry[Post]) string {
	return strconv.Itoa(max(1, e.ReadingTime())) + " min read"
}

// config is the site's verge.toml, for the component being rendered.
func config(ctx context.Context) *site.Config { return site.FromContext(ctx).Config() }

// route is the URL path of the page being rendered.
func route(ctx context.Context) string { return site.FromContext(ctx).Route() }

// current reports whether a nav link points at the page being rendered
// or, for a section such as /posts/, at one of its pages.
func current(ctx context.Context, url string) bool {
	r := route(ctx)
	return r == url || (url != "/" && strings.HasPrefix(r, url))
}

// canonical is the absolute URL of the page being rendered.
func canonical(ctx context.Context) string {
	return strings.TrimSuffix(config(ctx).BaseURL, "/") + route(ctx)
}
