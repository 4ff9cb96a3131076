package engine

// This file holds how a build finds the size of the images pages show.

import (
	"strings"
	"sync"

	"github.com/vergehq/verge/internal/imagesize"
)

// imageSizes finds the intrinsic size of images pages reference, by the
// src they write ("/assets/img/a.png" or a static file's path), reading
// each file once for the whole build.
type imageSizes struct {
	a     AssetLookup
	sizes sync.Map // URL path -> [2]int, or nil when unknown
}

func newImageSizes(a AssetLookup) *imageSizes { return &imageSizes{a: a} }

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
	w, h, ok = imagesize.Of(f.Data)
	if ok {
		s.sizes.Store(f.Path, [2]int{w, h})
	} else {
		s.sizes.Store(f.Path, nil)
	}
	return w, h, ok
}
