package cloudflare_test

import (
	"context"
	"testing"

	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/cffake"
)

// Each deploy is a version carrying its build id; rollback deploys an
// earlier one to all traffic, by default the one live before.
func TestVersionsAndRollback(t *testing.T) {
	// Secrets changed since the older versions: Cloudflare asks to
	// confirm a rollback (error 10220), and a rollback confirms.
	e := newEnv(t, cffake.Options{SecretsChanged: true})
	ctx := context.Background()
	dist := t.TempDir()
	var builds []string
	for _, home := range []string{"one", "two", "three"} {
		files := siteFiles(2, "aaaa")
		files["/index.html"] = home
		writeDist(t, dist, files)
		rep, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err != nil {
			t.Fatal(err)
		}
		builds = append(builds, rep.BuildID)
	}
	tg := e.target(t)
	list, err := tg.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].BuildID != builds[2] || list[0].Percentage != 100 || list[2].BuildID != builds[0] || list[2].Percentage != 0 {
		t.Fatalf("versions: %+v", list)
	}
	from, to, err := tg.Rollback(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if from.ID != list[0].ID || to.ID != list[1].ID {
		t.Errorf("rollback went %s -> %s, want %s -> %s", from.ID, to.ID, list[0].ID, list[1].ID)
	}
	if _, body := e.get(t, "/"); body != "two" {
		t.Errorf("after rollback the site serves %q", body)
	}
	// By build id prefix, and by version number.
	if _, _, err := tg.Rollback(ctx, builds[0][:8]); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get(t, "/"); body != "one" {
		t.Errorf("after rollback to the first build the site serves %q", body)
	}
	if _, _, err := tg.Rollback(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get(t, "/"); body != "three" {
		t.Errorf("after rollback to version 3 the site serves %q", body)
	}
	if _, _, err := tg.Rollback(ctx, "no-such"); err == nil {
		t.Error("rollback to an unknown version: no error")
	}
}
