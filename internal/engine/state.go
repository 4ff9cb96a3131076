package engine

// This file holds the summary of the last build to disk, which proves a
// build with the same inputs has nothing to do.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
)

// buildSummary is what manifest.StatePath records.
type buildSummary struct {
	// Input hashes every tag version and asset output of the build. Equal
	// inputs give byte-identical output, since rendering is deterministic.
	Input string `json:"input"`
	// Exact is false when some page depended on something outside the
	// versioned inputs (Ctx.Depend); Input proves nothing then.
	Exact bool `json:"exact"`
	// Stamp is the source stamp taken before the build loaded anything
	// (see sourceStamp), and Site the site tag's version (program and
	// config): equal both, and Exact, prove the output current unread.
	Stamp   string `json:"stamp,omitempty"`
	Site    string `json:"site,omitempty"`
	BuildID string `json:"build_id"`
	Pages   int    `json:"pages"`
	Assets  int    `json:"assets"`
	Static  int    `json:"static"`
	Bytes   int64  `json:"bytes"`
}

// inputHash summarises everything a build's output is made from.
func (b *Build) inputHash() string {
	v := b.versions()
	tags := make([]string, 0, len(v))
	for t := range v {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	h := sha256.New()
	for _, t := range tags {
		fmt.Fprintf(h, "%s=%s\n", t, v[t])
	}
	if b.Assets.Res != nil {
		for _, f := range b.Assets.Res.Files {
			fmt.Fprintf(h, "%s %s\n", f.Path, f.Integrity)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// readSummary returns the previous build's summary if its output is still
// there, else nil.
func readSummary(out string) *buildSummary {
	data, err := os.ReadFile(inDir(out, manifest.StatePath))
	if err != nil || pending(out) {
		return nil
	}
	var s buildSummary
	if json.Unmarshal(data, &s) != nil {
		return nil
	}
	if _, err := os.Stat(inDir(out, manifest.Path)); err != nil {
		return nil
	}
	return &s
}

// summarise counts the manifest's files for the report and the summary.
func summarise(m *manifest.Manifest, input string, exact bool) buildSummary {
	s := buildSummary{Input: input, Exact: exact, BuildID: m.BuildID}
	for _, f := range m.Files {
		s.Bytes += f.Size
		switch f.Kind {
		case manifest.KindAsset:
			s.Assets++
		case manifest.KindStatic:
			s.Static++
		case manifest.KindPage:
			s.Pages++
		}
	}
	return s
}

// writeSummary replaces the summary of the output in out.
func writeSummary(out string, sum *buildSummary) error {
	data, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	return fsatomic.WriteFile(inDir(out, manifest.StatePath), data)
}
