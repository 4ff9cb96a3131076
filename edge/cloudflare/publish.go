package cloudflare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v7/option"
	"github.com/cloudflare/cloudflare-go/v7/workers"

	"github.com/vergehq/verge/internal/cfapi"
)

// mark is what tells this deploy's version from every other: the build's
// tag (workers/tag), and a message (workers/message) naming the deploy.
// The tag alone would also match a version of the same build made by an
// earlier deploy (live or not), which says nothing of this upload.
type mark struct {
	tag, message string
}

// newMark is the mark of a deploy of build id.
func (t *Target) newMark(id string) mark {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return mark{tag: t.Tag(id), message: fmt.Sprintf("verge deploy of build %s (deploy %s)", id[:min(len(id), 12)], hex.EncodeToString(b[:]))}
}

func (m mark) is(v *Version) bool { return v != nil && v.Tag == m.tag && v.Message == m.message }

// putVersion uploads the Worker version (the multipart body) and returns
// its ID, from the answer ("deployment_id", as wrangler reads it) or,
// when the answer was lost or lacks it, from the version list. One
// deploy makes at most one version: after a failure that may have landed
// (a 5xx, a timeout, a dropped connection), it looks for a version with
// this deploy's mark before uploading again. A version it cannot find and
// cannot rule out is ErrMaybeLive.
func (t *Target) putVersion(ctx context.Context, mk mark, body []byte, ctype string) (string, error) {
	var params workers.ScriptUpdateParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	for attempt := 1; ; attempt++ {
		var res struct {
			DeploymentID string `json:"deployment_id"`
		}
		err := cfapi.Call(func(opts ...option.RequestOption) error {
			// The typed Update flattens metadata into many form fields;
			// the API wants it as one JSON part, so the body is built here.
			_, err := t.scripts.Update(ctx, t.cfg.Script, params, append(opts, option.WithRequestBody(ctype, body))...)
			return err
		}, &res)
		if err == nil {
			if id := versionID(res.DeploymentID); id != "" {
				return id, nil
			}
		} else if !mayHaveLanded(err) {
			return "", fmt.Errorf("upload the Worker version: %w", err)
		}
		// Landed without naming its version, or maybe landed: look. This
		// look outlives an interrupt, which may have come after the upload.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.readBudget())
		v, lerr := t.findVersion(lctx, mk)
		cancel()
		switch {
		case v != nil:
			return v.ID, nil
		case err == nil:
			// Deployed, but which version it is cannot be told now.
			return "", nil
		case lerr != nil:
			return "", fmt.Errorf("%w: uploading the version: %v; looking for it: %v", ErrMaybeLive, err, lerr)
		case attempt >= t.cfg.Attempts || !retryable(ctx, err):
			return "", fmt.Errorf("upload the Worker version (%d tries; it did not land): %w", attempt, err)
		}
		if sleep(ctx, t.wait(attempt, err)) != nil {
			return "", fmt.Errorf("upload the Worker version (it did not land): %w", ctx.Err())
		}
	}
}

// mayHaveLanded says whether a failed request may have been done anyway:
// a server error, or no answer at all (a timeout, a dropped connection).
// A 4xx, a 429 included, is a refusal.
func mayHaveLanded(err error) bool {
	if e, ok := cfapi.AsError(err); ok {
		return e.Status >= 500
	}
	return true
}

// versionID is a version ID as the rest of the API writes it: the
// upload's answer gives the UUID's 32 hex digits, maybe without hyphens.
func versionID(s string) string {
	if len(s) != 32 || strings.Contains(s, "-") {
		return s
	}
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// findVersion is the newest version with mark mk, or nil.
func (t *Target) findVersion(ctx context.Context, mk mark) (*Version, error) {
	list, err := t.listVersions(ctx, t.cfg.ReadTimeout)
	if err != nil {
		return nil, err
	}
	for i := range list { // newest first
		if mk.is(&list[i]) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// readBudget bounds a read-back in all: every try at ReadTimeout, and
// the backoff between.
func (t *Target) readBudget() time.Duration {
	return time.Duration(t.cfg.Attempts)*t.cfg.ReadTimeout + t.cfg.Backoff<<min(t.cfg.Attempts, 10)
}

// readLive reads back what is live, each request within ReadTimeout (a
// read must not wait as long as an upload may), outliving an interrupt.
func (t *Target) readLive(ctx context.Context) (*Version, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.readBudget())
	defer cancel()
	list, err := t.versionsWithin(ctx, t.cfg.ReadTimeout)
	if err != nil {
		return nil, err
	}
	return live(list), nil
}

// deployVersion points all traffic at version id (force: past error
// 10220). A retry after a failure that may have landed first reads the
// live deployment: if it is id already, the deployment landed.
func (t *Target) deployVersion(ctx context.Context, id string, force bool) error {
	var params workers.ScriptDeploymentNewParams
	params.AccountID.Value, params.AccountID.Present = t.cfg.AccountID, true
	params.Deployment.Strategy.Value, params.Deployment.Strategy.Present = workers.DeploymentStrategyPercentage, true
	var v workers.DeploymentVersionParam
	v.VersionID.Value, v.VersionID.Present = id, true
	v.Percentage.Value, v.Percentage.Present = 100, true
	params.Deployment.Versions.Value, params.Deployment.Versions.Present = []workers.DeploymentVersionParam{v}, true
	params.Deployment.Annotations.Present = true
	params.Deployment.Annotations.Value.WorkersMessage.Value = "verge rollback to " + id
	params.Deployment.Annotations.Value.WorkersMessage.Present = true
	if force {
		params.Force.Value, params.Force.Present = true, true
	}
	for attempt := 1; ; attempt++ {
		err := cfapi.Call(func(opts ...option.RequestOption) error {
			_, err := t.scripts.Deployments.New(ctx, t.cfg.Script, params, opts...)
			return err
		}, nil)
		if err == nil {
			return nil
		}
		if mayHaveLanded(err) {
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.readBudget())
			live, lerr := t.liveDeploymentWithin(lctx, t.cfg.ReadTimeout)
			cancel()
			if lerr == nil && live[id] == 100 {
				return nil
			}
		}
		if attempt >= t.cfg.Attempts || !retryable(ctx, err) {
			return fmt.Errorf("deploy version %s: %w", id, err)
		}
		if sleep(ctx, t.wait(attempt, err)) != nil {
			return fmt.Errorf("deploy version %s: %w", id, ctx.Err())
		}
	}
}
