package cloudflare

import (
	"context"
	"fmt"
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
	err := t.call(ctx, "list versions", &res, func(opts ...option.RequestOption) error {
		_, err := t.scripts.Versions.List(ctx, t.cfg.Script, params, opts...)
		return err
	})
	if e, ok := cfapi.AsError(err); ok && e.Has(codeNoWorker) {
		return nil, nil // nothing deployed yet
	}
	if err != nil {
		return nil, err
	}
	live, err := t.liveDeployment(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(res.Items))
	for _, it := range res.Items {
		created, _ := time.Parse(time.RFC3339Nano, it.Metadata.CreatedOn)
		tag := it.Annotations["workers/tag"]
		build, _, _ := strings.Cut(tag, "+")
		out = append(out, Version{ID: it.ID, Number: int(it.Number), Created: created, BuildID: build, Tag: tag,
			Message: it.Annotations["workers/message"], Percentage: live[it.ID]})
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
func (t *Target) deployments(ctx context.Context) ([]deploymentRecord, error) {
	var params workers.ScriptDeploymentListParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	var res struct {
		Deployments []deploymentRecord `json:"deployments"`
	}
	err := t.call(ctx, "list deployments", &res, func(opts ...option.RequestOption) error {
		_, err := t.scripts.Deployments.List(ctx, t.cfg.Script, params, opts...)
		return err
	})
	if e, ok := cfapi.AsError(err); ok && e.Has(codeNoWorker) {
		return nil, nil
	}
	return res.Deployments, err
}

// liveDeployment maps each version serving traffic to its percentage.
func (t *Target) liveDeployment(ctx context.Context) (map[string]float64, error) {
	ds, err := t.deployments(ctx)
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
// version live before the current one. It returns the versions live
// before and after.
func (t *Target) Rollback(ctx context.Context, to string) (from, now string, err error) {
	list, err := t.Versions(ctx)
	if err != nil {
		return "", "", err
	}
	if cur := live(list); cur != nil {
		from = cur.ID
	}
	if to == "" {
		ds, err := t.deployments(ctx)
		if err != nil {
			return "", "", err
		}
		for _, d := range ds {
			if len(d.Versions) > 0 && d.Versions[0].VersionID != from {
				to = d.Versions[0].VersionID
				break
			}
		}
		if to == "" {
			return from, "", fmt.Errorf("no earlier deployment to roll back to: name a version (verge versions --target cloudflare lists them)")
		}
	} else if to, err = resolve(list, to); err != nil {
		return from, "", err
	}
	if to == from {
		return from, to, nil
	}
	var params workers.ScriptDeploymentNewParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	params.Deployment.Strategy.Value, params.Deployment.Strategy.Present = workers.DeploymentStrategyPercentage, true
	var v workers.DeploymentVersionParam
	v.VersionID.Value, v.VersionID.Present = to, true
	v.Percentage.Value, v.Percentage.Present = 100, true
	params.Deployment.Versions.Value, params.Deployment.Versions.Present = []workers.DeploymentVersionParam{v}, true
	params.Deployment.Annotations.Present = true
	params.Deployment.Annotations.Value.WorkersMessage.Value = "verge rollback to " + to
	params.Deployment.Annotations.Value.WorkersMessage.Present = true
	deploy := func() error {
		return t.call(ctx, "deploy version "+to, nil, func(opts ...option.RequestOption) error {
			_, err := t.scripts.Deployments.New(ctx, t.cfg.Script, params, opts...)
			return err
		})
	}
	err = deploy()
	if e, ok := cfapi.AsError(err); ok && e.Has(10220) {
		// The Worker's secrets changed since that version: Cloudflare
		// asks to confirm, and a rollback is that confirmation.
		params.Force.Value, params.Force.Present = true, true
		err = deploy()
	}
	if err != nil {
		return from, "", err
	}
	return from, to, nil
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
