package audit

import (
	"bytes"
	"fmt"
	_ "image/gif" // image.DecodeConfig for the formats pages use
	_ "image/jpeg"
	_ "image/png"
	"strconv"
	"strings"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"

	"github.com/vergehq/verge/internal/imagesize"
	"github.com/vergehq/verge/internal/manifest"
)

// minified scores by Lighthouse's measure, YSlow's being dated: a file
// is unminified when minifying it again saves 2 KiB or more and 5% (CSS)
// or 10% (JS).
func minified(s *Site, p *page) (int, []Offender) {
	score := 100
	var offs []Offender
	seen := map[string]bool{}
	for _, r := range p.refs {
		if (r.kind != refScript && r.kind != refStylesheet) || r.path == "" || seen[r.path] {
			continue
		}
		seen[r.path] = true
		f, _ := s.lookup(r.path)
		if f == nil {
			continue
		}
		saved, pct, ok := s.minifySaving(f)
		if !ok {
			continue
		}
		threshold := 10.0
		if r.kind == refStylesheet {
			threshold = 5
		}
		if saved >= 2048 && pct >= threshold {
			score -= 10
			offs = append(offs, Offender{r.url, fmt.Sprintf("minifying saves %d bytes (%.0f%%): put it under assets/, which the build minifies", saved, pct)})
		}
	}
	return score, offs
}

// minifySaving is how much minifying f again would save, worked out
// once per file.
func (s *Site) minifySaving(f *manifest.File) (saved int, pct float64, ok bool) {
	type result struct {
		saved int
		pct   float64
		ok    bool
	}
	if v, hit := s.minCache.Load(f.Path); hit {
		r := v.(result)
		return r.saved, r.pct, r.ok
	}
	var r result
	data, err := s.read(f)
	if err == nil && len(data) > 0 {
		m := minify.New()
		var mediatype string
		switch {
		case strings.Contains(f.ContentType, "css"):
			mediatype = "text/css"
			m.AddFunc(mediatype, css.Minify)
		case strings.Contains(f.ContentType, "javascript"):
			mediatype = "application/javascript"
			m.AddFunc(mediatype, js.Minify)
		}
		if mediatype != "" {
			var out bytes.Buffer
			if err := m.Minify(mediatype, &out, bytes.NewReader(data)); err == nil {
				r.saved = max(0, len(data)-out.Len())
				r.pct = 100 * float64(r.saved) / float64(len(data))
				r.ok = true
			}
		}
	}
	s.minCache.Store(f.Path, r)
	return r.saved, r.pct, r.ok
}

func imgNoScale(s *Site, p *page) (int, []Offender) {
	var offs []Offender
	for _, r := range p.refs {
		if r.kind != refImage || r.path == "" || r.node == nil || r.node.Data != "img" {
			continue
		}
		w, wok := dimension(attrOr(r.node, "width"))
		h, hok := dimension(attrOr(r.node, "height"))
		if !wok && !hok {
			continue
		}
		f, _ := s.lookup(r.path)
		if f == nil {
			continue
		}
		fw, fh, ok := s.rasterSize(f)
		if !ok {
			continue // SVG and the like scale by nature
		}
		if wok && w < fw || hok && h < fh {
			offs = append(offs, Offender{r.elem, fmt.Sprintf("the file is %dx%d: make a smaller one (or use srcset) rather than scale it down", fw, fh)})
		}
	}
	return 100 - 5*len(offs), offs
}

// rasterSize is a raster image's size, read once for all the pages that
// show it.
func (s *Site) rasterSize(f *manifest.File) (w, h int, ok bool) {
	if v, hit := s.sizeCache.Load(f.Path); hit {
		wh, ok := v.([2]int)
		return wh[0], wh[1], ok
	}
	if data, err := s.read(f); err == nil {
		w, h, ok = imagesize.Raster(data)
	}
	if ok {
		s.sizeCache.Store(f.Path, [2]int{w, h})
	} else {
		s.sizeCache.Store(f.Path, nil)
	}
	return w, h, ok
}

// dimension reads a width or height attribute in CSS pixels.
func dimension(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "px"))
	return n, err == nil && n > 0
}

func favicon(s *Site, p *page) (int, []Offender) {
	at := "/favicon.ico"
	for _, r := range p.refs {
		if r.kind == refFavicon && r.path != "" {
			at = r.path
			break
		}
	}
	f, _ := s.lookup(at)
	if f == nil {
		return 95, []Offender{{at, "add a favicon (static/favicon.ico, or <link rel=icon>): browsers ask for one anyway"}}
	}
	score := 100
	var offs []Offender
	if f.Size > 2000 {
		score -= 5
		offs = append(offs, Offender{at, fmt.Sprintf("%d bytes: keep it under 2,000 (a 32x32 PNG or an SVG)", f.Size)})
	}
	if fresh, _ := freshFor(f.CacheControl); fresh < 3600 {
		score -= 5
		offs = append(offs, Offender{at, fmt.Sprintf("fresh for %s only: put it under assets/ to have it cached for a year", human(fresh))})
	}
	return score, offs
}
