package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vergehq/verge/cachepurge"
)

// Versions prints the Worker's versions, newest first.
func (c *cfTarget) Versions(ctx context.Context, o Options) error {
	w, asJSON := o.Stdout, o.JSON
	list, err := c.t.Versions(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(w).Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "no versions yet: verge deploy --target cloudflare makes one")
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-6s %-36s %-19s %-12s %s\n", "LIVE", "NUMBER", "VERSION", "CREATED", "BUILD", "MESSAGE")
	for _, v := range list {
		live := ""
		if v.Percentage > 0 {
			live = fmt.Sprintf("%g%%", v.Percentage)
		}
		fmt.Fprintf(&b, "%-4s %-6d %-36s %-19s %-12s %s\n", live, v.Number, v.ID, v.Created.Local().Format(time.DateTime), short(v.BuildID), v.Message)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// Rollback deploys an earlier version and purges what differs between
// it and the version it replaces.
func (c *cfTarget) Rollback(ctx context.Context, to string, o Options) error {
	w, wait := o.Stdout, o.PurgeWait
	from, now, err := c.t.Rollback(ctx, to)
	if err != nil {
		return err
	}
	if from != nil && from.ID == now.ID {
		fmt.Fprintf(w, "%s is live already\n", now.ID)
		return nil
	}
	fromID := ""
	if from != nil {
		fromID = from.ID
	}
	fmt.Fprintf(w, "rolled back from %s to %s (build %s) on Cloudflare\n", orNone(fromID), now.ID, short(now.BuildID))
	targets, err := c.site.PurgeTargets()
	if err != nil || len(targets) == 0 {
		return err
	}
	// Records are kept by build: two versions of one build (deploy
	// settings apart) share theirs, and differ in no page.
	prev, okPrev := loadCloudflareRecord(c.site.Layout, from)
	next, okNext := loadCloudflareRecord(c.site.Layout, now)
	plan := &cachepurge.Plan{Everything: true}
	switch {
	case from != nil && from.BuildID != "" && from.BuildID == now.BuildID:
		plan = &cachepurge.Plan{}
	case okPrev && okNext:
		plan = cachepurge.New(prev, next, c.PurgeLimits())
	}
	sayPlan(w, plan, true, "  purging", false)
	return sendPlan(ctx, w, targets, plan, wait)
}
