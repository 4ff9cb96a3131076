package cloudflare

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/workers"

	"github.com/vergehq/verge/internal/cfapi"
)

// Version is one version of the Worker.
type Version struct {
	ID         string    `json:"id"`
	Number     int       `json:"number"`
	Created    time.Time `json:"created"`
	BuildID    string    `json:"build_id,omitempty"` // the build it holds (from Tag)
	Tag        string    `json:"tag,omitempty"`      // the workers/tag annotation (see Target.Tag)
	Message    string    `json:"message,omitempty"`
	Percentage float64   `json:"percentage"` // of traffic it serves now
}

// Versions lists the Worker's versions (Cloudflare keeps the last 100),
// newest first, with the share of traffic each serves.
func (t *Target) Versions(ctx context.Context) ([]Version, error) {
	return t.versionsWithin(ctx, 0)
}

// versionsWithin is Versions, each request within timeout (0: the
// client's RequestTimeout).
func (t *Target) versionsWithin(ctx context.Context, timeout time.Duration) ([]Version, error) {
	list, err := t.listVersions(ctx, timeout)
	if err != nil || len(list) == 0 {
		return list, err
	}
	live, err := t.liveDeploymentWithin(ctx, timeout)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Percentage = live[list[i].ID]
	}
	return list, nil
}

// listVersions lists the versions, newest first, without the traffic
// they serve.
func (t *Target) listVersions(ctx context.Context, timeout time.Duration) ([]Version, error) {
	var params workers.ScriptVersionListParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	params.PerPage.Value, params.PerPage.Present = 100, true
	var res struct {
		Items []struct {
			ID       string  `json:"id"`
			Number   float64 `json:"number"`
			Metadata struct {
				CreatedOn string `json:"created_on"`
			} `json:"metadata"`
			Annotations map[string]string `json:"annotations"`
		} `json:"items"`
	}
	err := t.callWithin(ctx, timeout, "list versions", &res, func(opts ...option.RequestOption) error {
		_, err := t.scripts.Versions.List(ctx, t.cfg.Script, params, opts...)
		return err
	})
	if e, ok := cfapi.AsError(err); ok && e.Has(codeNoWorker) {
		return nil, nil // nothing deployed yet
	}
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(res.Items))
	for _, it := range res.Items {
		created, _ := time.Parse(time.RFC3339Nano, it.Metadata.CreatedOn)
		tag := it.Annotations["workers/tag"]
		build, _, _ := strings.Cut(tag, "+")
		out = append(out, Version{ID: it.ID, Number: int(it.Number), Created: created, BuildID: build, Tag: tag,
			Message: it.Annotations["workers/message"]})
	}
	return out, nil
}

// codeNoWorker is Cloudflare's error code for a Worker that does not exist.
const codeNoWorker = 10007

// Live is the version serving the most traffic, nil when nothing is
// deployed yet.
func (t *Target) Live(ctx context.Context) (*Version, error) {
	list, err := t.Versions(ctx)
	if err != nil {
		return nil, err
	}
	return live(list), nil
}

// live is the version of list serving the most traffic, or nil.
func live(list []Version) *Version {
	var best *Version
	for i := range list {
		if v := &list[i]; v.Percentage > 0 && (best == nil || v.Percentage > best.Percentage) {
			best = v
		}
	}
	return best
}

// deploymentRecord is one deployment as the API lists it.
type deploymentRecord struct {
	ID       string `json:"id"`
	Versions []struct {
		VersionID  string  `json:"version_id"`
		Percentage float64 `json:"percentage"`
	} `json:"versions"`
}

// deployments lists the Worker's deployments, the live one first.
func (t *Target) deployments(ctx context.Context, timeout time.Duration) ([]deploymentRecord, error) {
	var params workers.ScriptDeploymentListParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	var res struct {
		Deployments []deploymentRecord `json:"deployments"`
	}
	err := t.callWithin(ctx, timeout, "list deployments", &res, func(opts ...option.RequestOption) error {
		_, err := t.scripts.Deployments.List(ctx, t.cfg.Script, params, opts...)
		return err
	})
	if e, ok := cfapi.AsError(err); ok && e.Has(codeNoWorker) {
		return nil, nil
	}
	return res.Deployments, err
}

// liveDeploymentWithin maps each version serving traffic to its
// percentage.
func (t *Target) liveDeploymentWithin(ctx context.Context, timeout time.Duration) (map[string]float64, error) {
	ds, err := t.deployments(ctx, timeout)
	if err != nil || len(ds) == 0 {
		return map[string]float64{}, err
	}
	out := map[string]float64{}
	for _, v := range ds[0].Versions {
		out[v.VersionID] = v.Percentage
	}
	return out, nil
}

// Rollback deploys an earlier version to all traffic: to (an ID, an ID
// prefix, a version number or a build id prefix), or, when empty, the
// version of the deploy before the live one (see previous). It returns the
// versions live before (nil: none) and after.
func (t *Target) Rollback(ctx context.Context, to string) (from, now *Version, err error) {
	list, err := t.Versions(ctx)
	if err != nil {
		return nil, nil, err
	}
	from = live(list)
	if to == "" {
		ds, err := t.deployments(ctx, 0)
		if err != nil {
			return from, nil, err
		}
		if now = previous(list, ds, from); now == nil {
			return from, nil, fmt.Errorf("no earlier deploy to roll back to: name a version (verge versions --target cloudflare lists them)")
		}
	} else {
		id, err := resolve(list, to)
		if err != nil {
			return from, nil, err
		}
		now = &list[slices.IndexFunc(list, func(v Version) bool { return v.ID == id })]
	}
	if from != nil && now.ID == from.ID {
		return from, now, nil
	}
	err = t.deployVersion(ctx, now.ID, false)
	if e, ok := cfapi.AsError(err); ok && e.Has(10220) {
		// The Worker's secrets changed since that version: Cloudflare
		// asks to confirm, and a rollback is that confirmation.
		err = t.deployVersion(ctx, now.ID, true)
	}
	if err != nil {
		return from, nil, err
	}
	return from, now, nil
}

// previous is the version a default rollback goes to: that of the latest
// deployment before the live one of another deploy, one whose tag (build
// and deploy settings) differs from the live version's. Versions of the
// live build under another ID (duplicates an upload retried blind made,
// or a rollback deployed twice) are passed over: going back to one
// changes nothing. Deployments older than those Cloudflare lists fall back
// to the versions list.
func previous(list []Version, ds []deploymentRecord, cur *Version) *Version {
	differs := func(v *Version) bool {
		if cur == nil {
			return true
		}
		if v.Tag != "" && cur.Tag != "" {
			return v.Tag != cur.Tag
		}
		return v.ID != cur.ID
	}
	byID := map[string]*Version{}
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	for _, d := range ds {
		if len(d.Versions) == 0 {
			continue
		}
		if v := byID[d.Versions[0].VersionID]; v != nil && differs(v) {
			return v
		}
	}
	for i := range list { // newest first
		if v := &list[i]; differs(v) && (cur == nil || v.Number < cur.Number) {
			return v
		}
	}
	return nil
}

// resolve finds the version of list a user named: an ID or ID prefix, a version
// number, or a build id prefix.
func resolve(list []Version, name string) (string, error) {
	n, numErr := strconv.Atoi(strings.TrimPrefix(name, "#"))
	var found []string
	for _, v := range list {
		if v.ID == name || (numErr == nil && v.Number == n) {
			return v.ID, nil
		}
		if strings.HasPrefix(v.ID, name) || (v.BuildID != "" && strings.HasPrefix(v.BuildID, name)) {
			found = append(found, v.ID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no version %q among the last %d (verge versions --target cloudflare lists them)", name, len(list))
	}
	return "", fmt.Errorf("%q names %d versions: give more of the ID", name, len(found))
}
