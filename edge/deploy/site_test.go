package deploy

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	l := NewSite("/srv/blog", nil, nil).Layout
	for _, c := range []struct{ got, want string }{
		{l.Root, "/srv/blog/.verge"},
		{l.Store(), "/srv/blog/.verge/store"},
		{l.Cloudflare(), "/srv/blog/.verge/cloudflare"},
		{l.CloudflareBuilds(), "/srv/blog/.verge/cloudflare/builds"},
		{l.EdgeOutbox(), "/srv/blog/.verge/outbox"},
		{l.CloudflareOutbox(), "/srv/blog/.verge/outbox-cloudflare"},
	} {
		if c.got != filepath.FromSlash(c.want) {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	s := NewSite("/srv/blog", nil, nil)
	if s.StoreDir() != l.Store() {
		t.Errorf("StoreDir() = %s, want the layout's", s.StoreDir())
	}
	s.Store = "/elsewhere"
	if s.StoreDir() != "/elsewhere" {
		t.Errorf("StoreDir() with Store set = %s", s.StoreDir())
	}
}

func TestOutput(t *testing.T) {
	for _, c := range []struct {
		name, flag, outputDir string
		want                  string // relative to the site's dir, or absolute
	}{
		{"config default", "", "dist", "dist"},
		{"config relative", "", "public/site", "public/site"},
		{"config absolute", "", "/abs/out", "/abs/out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSite(t, Config{OutputDir: c.outputDir})
			got, err := s.Output(c.flag)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if !filepath.IsAbs(want) {
				want = filepath.Join(s.Dir, want)
			}
			if got != want {
				t.Errorf("Output(%q) = %s, want %s", c.flag, got, want)
			}
		})
	}
	// A flag is taken from the working directory, not the site's.
	s := testSite(t, Config{OutputDir: "dist"})
	got, err := s.Output("out")
	if abs, _ := filepath.Abs("out"); err != nil || got != abs {
		t.Errorf("Output(out) = %s, %v; want %s", got, err, abs)
	}
}

func TestOpenUnknownTarget(t *testing.T) {
	_, err := Open("ftp", testSite(t, Config{}))
	if err == nil || !strings.Contains(err.Error(), `unknown target "ftp" (Verge deploys to: local, cloudflare)`) {
		t.Errorf("Open(ftp) = %v", err)
	}
	if names := TargetNames(); len(names) != 2 || names[0] != "local" {
		t.Errorf("TargetNames() = %v: local must come first, the default", names)
	}
}
