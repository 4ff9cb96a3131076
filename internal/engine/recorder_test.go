package engine

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/vergehq/verge/render"
)

// A recorder's maps go to the next page once its page has rendered: a
// read through it afterwards (a view a page function kept) must fail
// loudly, naming the page, rather than land in another page's record.
func TestReadAfterRenderPanics(t *testing.T) {
	b := &Build{SiteVersion: "s1", states: map[any]any{}}
	var kept *Recorder
	jobs := []PageJob{{Route: "/a/", Render: func(_ context.Context, rec *Recorder, w io.Writer) error {
		kept = rec
		rec.ReadFact("e:posts/x", "title", 1)
		_, err := io.WriteString(w, "a")
		return err
	}}}
	var facts Facts
	renderPages(context.Background(), b, render.New(render.Options{}), jobs, func(_ int, o pageOutput) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		facts = o.facts
	}, false)
	if len(facts) != 2 { // the site tag and the title
		t.Fatalf("facts %v, want the site tag's and the title's", facts)
	}
	for name, read := range map[string]func(){
		"ReadFact": func() { kept.ReadFact("e:posts/x", "body", 2) },
		"Read":     func() { kept.Read("d:menu", "v1") },
		"Tag":      func() { kept.Tag("e:posts/x") },
	} {
		func() {
			defer func() {
				v := recover()
				if msg, _ := v.(string); !strings.Contains(msg, "page /a/ after it rendered") {
					t.Errorf("%s after render: recovered %v, want a panic naming the page", name, v)
				}
			}()
			read()
		}()
	}
	// The facts handed out are the page's own, untouched by the next page.
	if len(facts) != 2 {
		t.Errorf("facts changed to %v", facts)
	}
}
