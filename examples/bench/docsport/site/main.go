// Command site is the Hugo documentation ported to Verge: the site
// program examples/bench/docsport builds and edits. Its source (content/,
// data/, assets/, static/, verge.toml) is the converted tree whose path
// is in $VERGE_DOCS, so the one program builds any conversion:
//
//	VERGE_DOCS=/dev/shm/docs verge build examples/bench/docsport/site --out /dev/shm/docs/dist
//
// The declarations are in package docs, so that the benchmark's smoke test
// builds the same site in its own process.
package main

import (
	"os"

	"github.com/vergehq/verge/examples/bench/docsport/site/docs"
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
