package site

import (
	"bytes"
	"image"
	_ "image/gif" // the raster formats pages use, for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// imageSizes finds the intrinsic size of images pages reference, by the
// src they write ("/assets/img/a.png" or a static file's path), reading
// each file once for the whole build.
type imageSizes struct {
	a     assetLookup
	sizes sync.Map // URL path -> [2]int, or nil when unknown
}

func newImageSizes(a assetLookup) *imageSizes { return &imageSizes{a: a} }

// size is the render.Options.ImageSize of a build.
func (s *imageSizes) size(ref string) (w, h int, ok bool) {
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	f, found := s.a.sourceRef(ref)
	if !found {
		if f, found = s.a.servedAt(ref); !found {
			return 0, 0, false
		}
	}
	if v, hit := s.sizes.Load(f.Path); hit {
		if wh, ok := v.([2]int); ok {
			return wh[0], wh[1], true
		}
		return 0, 0, false
	}
	w, h, ok = decodeSize(f.Data)
	if ok {
		s.sizes.Store(f.Path, [2]int{w, h})
	} else {
		s.sizes.Store(f.Path, nil)
	}
	return w, h, ok
}

// svgSize matches the root element's width and height, in pixels.
var (
	svgRoot = regexp.MustCompile(`(?s)<svg\b[^>]*>`)
	svgW    = regexp.MustCompile(`\swidth\s*=\s*["']?\s*([0-9.]+)(px)?\s*["'\s>/]`)
	svgH    = regexp.MustCompile(`\sheight\s*=\s*["']?\s*([0-9.]+)(px)?\s*["'\s>/]`)
)

// decodeSize reads an image's size from its header: PNG, JPEG and GIF,
// and SVG with a width and height in pixels (one sized only by viewBox
// has no size of its own).
func decodeSize(data []byte) (int, int, bool) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		return cfg.Width, cfg.Height, cfg.Width > 0 && cfg.Height > 0
	}
	root := svgRoot.Find(data[:min(len(data), 4096)])
	if root == nil {
		return 0, 0, false
	}
	wm, hm := svgW.FindSubmatch(root), svgH.FindSubmatch(root)
	if wm == nil || hm == nil {
		return 0, 0, false
	}
	w, err1 := strconv.ParseFloat(string(wm[1]), 64)
	h, err2 := strconv.ParseFloat(string(hm[1]), 64)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, false
	}
	return int(w + 0.5), int(h + 0.5), true
}
