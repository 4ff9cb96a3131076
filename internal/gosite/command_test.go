package gosite

import (
	"context"
	"strings"
	"testing"
)

// The site program runs the site's own code, serving requests: it gets
// the environment minus Verge's tokens.
func TestCommandKeepsTokensFromTheSiteProgram(t *testing.T) {
	t.Setenv("CLOUDFLARE_API_TOKEN", "cf-secret")
	t.Setenv("VERGE_WEBHOOK_TOKEN", "hook-secret")
	t.Setenv("VERGE_PURGE_TOKEN", "purge-secret")
	t.Setenv("VERGE_CORPUS", "/corpus")
	cmd := Command(context.Background(), "/site", "/bin/site-abc")
	env := strings.Join(cmd.Env, "\n")
	if strings.Contains(env, "secret") {
		t.Errorf("the site program's environment holds a token:\n%s", env)
	}
	if !strings.Contains(env, "VERGE_CORPUS=/corpus") || !strings.Contains(env, "VERGE_ROOT=/site") || !strings.Contains(env, "VERGE_BUILD_KEY=site-abc") {
		t.Errorf("the site program lost its environment:\n%s", env)
	}
}
