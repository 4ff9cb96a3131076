package site_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/site"
)

func TestOverlappingFunctionPatternsAreADeclarationError(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	s := declareTestSite(dir)
	noop := func(*site.Ctx, http.ResponseWriter, *http.Request) error { return nil }
	s.Func("GET /api/related/{id}", noop) // overlaps the test site's {slug} route
	s.Func("GET /api/bad/{", noop)
	_, err := s.Build(context.Background(), site.BuildOptions{OutDir: filepath.Join(dir, "dist"), BuildKey: "test"})
	if err == nil {
		t.Fatal("build succeeded")
	}
	msg := err.Error()
	for _, want := range []string{`funcs_test.go:`, `function "GET /api/related/{id}"`, "conflicts", `function "GET /api/bad/{"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestLinksToStaticIndexPagesResolve(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	writeFile(t, filepath.Join(dir, "static", "docs", "index.html"), "<!doctype html><title>docs</title>")
	writeFile(t, filepath.Join(dir, "content", "posts", "third.md"), "---\ntitle: Third\n---\nRead [the docs](/docs/) and [up](../).\n")
	if _, err := build(t, dir, filepath.Join(dir, "dist")); err != nil {
		t.Fatal(err)
	}
}
