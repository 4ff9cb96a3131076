// Command hugodocs is the Hugo documentation ported to Verge: the site
// program examples/bench/docsport builds and edits. Its source (content/,
// data/, assets/, static/, verge.toml) is the converted tree whose path
// is in $VERGE_DOCS, so the one program builds any conversion:
//
//	VERGE_DOCS=/dev/shm/docs verge build examples/hugodocs --out /dev/shm/docs/dist
//
// The declarations are in package docs, so that the benchmark's smoke test
// builds the same site in its own process. It lives outside examples/bench
// so that building the bench site, which generates the templ code of every
// directory under it, does not regenerate this one's under another name.
package main

import (
	"os"

	"github.com/vergehq/verge/examples/hugodocs/docs"
	"github.com/vergehq/verge/site"
)

func main() {
	s := site.New()
	if dir := os.Getenv("VERGE_DOCS"); dir != "" {
		s = site.NewAt(dir)
	}
	docs.Declare(s)
	site.Main(s)
}
