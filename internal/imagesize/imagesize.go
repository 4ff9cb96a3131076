// Package imagesize reads an image's width and height from its header,
// for the build (which writes them into <img>) and the audit (which
// compares them with the page's).
package imagesize

import (
	"bytes"
	"image"
	_ "image/gif" // the raster formats pages use, for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"regexp"
	"strconv"
)

// Raster reads the size of a PNG, JPEG or GIF.
func Raster(data []byte) (w, h int, ok bool) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, cfg.Width > 0 && cfg.Height > 0
}

// The root element of an SVG, and its width and height in pixels.
var (
	svgRoot = regexp.MustCompile(`(?s)<svg\b[^>]*>`)
	svgW    = regexp.MustCompile(`\swidth\s*=\s*["']?\s*([0-9.]+)(px)?\s*["'\s>/]`)
	svgH    = regexp.MustCompile(`\sheight\s*=\s*["']?\s*([0-9.]+)(px)?\s*["'\s>/]`)
)

// Of reads an image's size: Raster's formats, and SVG with a width and
// height in pixels (one sized only by viewBox has no size of its own).
func Of(data []byte) (w, h int, ok bool) {
	if w, h, ok := Raster(data); ok {
		return w, h, true
	}
	root := svgRoot.Find(data[:min(len(data), 4096)])
	if root == nil {
		return 0, 0, false
	}
	wm, hm := svgW.FindSubmatch(root), svgH.FindSubmatch(root)
	if wm == nil || hm == nil {
		return 0, 0, false
	}
	fw, err1 := strconv.ParseFloat(string(wm[1]), 64)
	fh, err2 := strconv.ParseFloat(string(hm[1]), 64)
	if err1 != nil || err2 != nil || fw <= 0 || fh <= 0 {
		return 0, 0, false
	}
	return int(fw + 0.5), int(fh + 0.5), true
}
