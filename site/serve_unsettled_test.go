package site_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/site"
)

// An edit made while the dev server still renders its pages in the
// background (the developer does not wait) is served at once, from the
// build being served: the edited page shows the edit while pages still
// remain to render.
func TestServeEditWhilePagesRemainToRender(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "verge.toml"), "title = \"Slow\"\n")
	for i := range 200 {
		writeFile(t, filepath.Join(dir, "content", "notes", fmt.Sprintf("n%03d.md", i)), fmt.Sprintf("---\ntitle: Note %d\n---\nNote %d.\n", i, i))
	}
	s := site.NewAt(dir)
	notes := site.Markdown[struct{}](s, "notes")
	site.Each(s, "/notes/{slug}/", notes, func(c *site.Ctx, e *site.Entry[struct{}]) (templ.Component, error) {
		if e.ID() != "n007" {
			time.Sleep(30 * time.Millisecond) // a slow page: the background render takes seconds
		}
		h, err := e.HTML(c)
		return templ.Raw("<!doctype html><html lang=en><title>" + e.Title() + "</title><main>" + h + "</main></html>"), err
	})
	base := serveDeclared(t, s)
	get := func(p string) string {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor(t, base, 10*time.Second, func(st devserver.DevState) bool { return st.Build > 0 })
	if !strings.Contains(get("/notes/n007/"), "Note 7.") {
		t.Fatal("the page is not served")
	}
	// The page is open in a browser: its live-reload stream.
	resp, err := http.Get(base + "/_verge/events?path=/notes/n007/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msgs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				msgs <- data
			}
		}
	}()
	for i, text := range []string{"Note seven.", "Note seven, again."} {
		writeFile(t, filepath.Join(dir, "content", "notes", "n007.md"), "---\ntitle: Note 7\n---\n"+text+"\n")
		timeout := time.After(5 * time.Second)
	wait:
		for {
			select {
			case m := <-msgs:
				if strings.Contains(m, `"type":"page"`) {
					break wait
				}
			case <-timeout:
				t.Fatalf("edit %d: the open page was not told it changed within 5 s", i)
			}
		}
		if !strings.Contains(get("/notes/n007/"), text) {
			t.Fatalf("edit %d: told, but the page does not show it", i)
		}
		if st := devState(t, base); st.Complete {
			t.Fatalf("edit %d: the server completed its background render first: the test needs a slower site", i)
		}
	}
}
