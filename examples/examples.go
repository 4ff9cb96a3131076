// Package examples holds Verge's runnable example sites and embeds the
// default one, blog, which `verge new` scaffolds new sites from.
package examples

import "embed"

// Blog is the blog example's source tree, under "blog/". The folders are
// named one by one so a local build's dist/ is never embedded, and with
// all: so partials named _x.css come along.
//
//go:embed blog/main.go blog/verge.toml all:blog/components all:blog/content all:blog/data all:blog/assets all:blog/static
var Blog embed.FS
