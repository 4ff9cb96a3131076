package site

import (
	"testing"

	"github.com/vergehq/verge/internal/engine"
)

// The site tag authors read is the one the engine gives every page.
func TestSiteTagIsTheEngines(t *testing.T) {
	if SiteTag != engine.SiteTag {
		t.Errorf("site.SiteTag = %q, engine.SiteTag = %q", SiteTag, engine.SiteTag)
	}
}
