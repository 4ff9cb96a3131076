package main

// What the benchmark measures of one rebuild, from what the CLI writes:
// the build report (verge build --json), the two manifests, and the purge
// plan (verge deploy --dry-run --json). The records are decoded into the
// few fields used here, not the engine's types, so the benchmark reads the
// output of any Verge that writes these fields.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// buildReport is the part of verge build --json the figures use.
type buildReport struct {
	Pages    int     `json:"pages"`
	Rendered int     `json:"rendered"`
	Reused   int     `json:"reused"`
	Seconds  float64 `json:"seconds"`
}

// pageSums maps each page's URL to the hash of its bytes, from the
// manifest of the build output in dist.
func pageSums(dist string) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(dist, "_verge", "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m struct {
		Files []struct {
			Path   string `json:"path"`
			Route  string `json:"route"`
			Kind   string `json:"kind"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", dist, err)
	}
	sums := map[string]string{}
	for _, f := range m.Files {
		if f.Kind == "page" {
			sums[cmp.Or(f.Route, f.Path)] = f.SHA256
		}
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("%s: the manifest lists no page", dist)
	}
	return sums, nil
}

// changedPages are the URLs whose page bytes differ between two builds:
// changed, new or gone.
func changedPages(prev, next map[string]string) []string {
	var out []string
	for u, sum := range next {
		if prev[u] != sum {
			out = append(out, u)
		}
	}
	for u := range prev {
		if _, ok := next[u]; !ok {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// purgePlan is the part of verge deploy --dry-run --json the figures use.
type purgePlan struct {
	Purge struct {
		Everything bool     `json:"everything"`
		Tags       []string `json:"tags"`
		URLs       []string `json:"urls"`  // every URL the tags cover
		Files      []string `json:"files"` // changed URLs purged by URL
		Changed    []string `json:"changed_urls"`
	} `json:"purge"`
	Requests int `json:"requests"`
}

// purged is every URL the plan purges.
func (p *purgePlan) purged() []string {
	all := slices.Concat(p.Purge.URLs, p.Purge.Files)
	slices.Sort(all)
	return slices.Compact(all)
}

// row is one rebuild's figures.
type row struct {
	Edit, Page   string
	Pages        int     // pages in the site
	Rendered     int     // pages the build re-rendered
	BytesChanged int     // pages whose bytes changed, from the manifests
	Changed      int     // URLs the plan counts as changed
	Tags         int     // tags purged
	Purged       int     // URLs purged (the tags' URLs and the URLs purged as such)
	Hit          int     // changed URLs among the purged
	Requests     int     // purge requests
	Everything   bool    // the plan purges everything
	Seconds      float64 // the build's own time, from its report
	tagList      []string
	missed       []string // pages whose bytes changed and that the plan leaves cached
}

// measure fills r's purge figures from plan and the pages whose bytes
// changed.
func (r *row) measure(plan *purgePlan, bytesChanged []string) {
	purged := plan.purged()
	r.BytesChanged, r.Changed, r.Tags, r.Purged = len(bytesChanged), len(plan.Purge.Changed), len(plan.Purge.Tags), len(purged)
	r.Requests, r.Everything, r.tagList = plan.Requests, plan.Purge.Everything, plan.Purge.Tags
	for _, u := range plan.Purge.Changed {
		if _, ok := slices.BinarySearch(purged, u); ok {
			r.Hit++
		}
	}
	for _, u := range bytesChanged {
		if _, ok := slices.BinarySearch(purged, u); !ok && !r.Everything {
			r.missed = append(r.missed, u)
		}
	}
}

// recall is the share of changed URLs the plan purges.
func (r *row) recall() string { return ratio(r.Hit, r.Changed) }

// precision is the share of purged URLs that changed: of the URLs the
// plan's tags cover and those it purges by URL, even when it sends one
// purge of everything instead (which clears more).
func (r *row) precision() string { return ratio(r.Hit, r.Purged) }

func ratio(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(d))
}

// tagSummary is the plan's tags as a short line.
func (r *row) tagSummary() string {
	const show = 6
	if len(r.tagList) <= show {
		return strings.Join(r.tagList, " ")
	}
	return strings.Join(r.tagList[:show], " ") + fmt.Sprintf(" ... (%d more)", len(r.tagList)-show)
}
