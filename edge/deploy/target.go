package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vergehq/verge/cachepurge"
)

// Target is a place a site's build goes live. Each implementation says
// what it did on Options' writers, as its own report (the two targets
// know different things: a store counts blobs, Cloudflare uploads and
// version numbers); the caller chooses text or JSON and the exit status.
type Target interface {
	// Live is the build being served, as purge planning reads it: no
	// manifest when nothing is live or what is live is unknown here.
	Live(ctx context.Context) (cachepurge.Build, error)
	// Deploy makes the build output in out live, then queues and sends
	// the purge replacing the live build takes (ErrPurgePending when it
	// did not all go out).
	Deploy(ctx context.Context, out string, o Options) error
	// DryRun says what Deploy would upload and purge, changing nothing.
	DryRun(ctx context.Context, out string, o Options) error
	// Versions lists the deployed versions, newest first.
	Versions(ctx context.Context, o Options) error
	// Rollback makes version to live again ("" : the one live before),
	// then purges what differs, as Deploy does.
	Rollback(ctx context.Context, to string, o Options) error
	// PurgeLimits are what a purge plan for this target keeps to.
	PurgeLimits() cachepurge.Limits
}

// Options are how a Target's command runs and reports.
type Options struct {
	Stdout, Stderr io.Writer
	JSON           bool          // the report as JSON on Stdout (and what follows it on Stderr)
	Retain         int           // versions a deploy keeps, where the target keeps them
	PurgeWait      time.Duration // how long the purge may take before it is left queued
	Timeout        time.Duration // how long an upload may take, where it is remote
}

// targets are the deploy targets by the name --target takes, in the
// order the CLI lists them.
var targets = []struct {
	name string
	open func(*Site) (Target, error)
}{
	{"local", openLocal},
	{"cloudflare", openCloudflare},
}

// TargetNames lists the names Open takes, the default first.
func TargetNames() []string {
	var out []string
	for _, t := range targets {
		out = append(out, t.name)
	}
	return out
}

// Open opens the site's deploy target by name.
func Open(name string, s *Site) (Target, error) {
	for _, t := range targets {
		if t.name == name {
			return t.open(s)
		}
	}
	return nil, fmt.Errorf("unknown target %q (Verge deploys to: %s)", name, strings.Join(TargetNames(), ", "))
}
