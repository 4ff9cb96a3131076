package diag

import (
	"errors"
	"fmt"
	"testing"
)

func TestDiagnosticFormat(t *testing.T) {
	for _, tc := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.md", Line: 3, Col: 2, Msg: "bad", Hint: "fix it"}, "a.md:3:2: bad\n    hint: fix it"},
		{Diagnostic{File: "a.md", Line: 3, Msg: "bad"}, "a.md:3: bad"},
		{Diagnostic{File: "a.md", Msg: "bad"}, "a.md: bad"},
		{Diagnostic{Msg: "bad"}, "bad"},
	} {
		if got := tc.d.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestListCollectsSortsAndDedupes(t *testing.T) {
	var l List
	if l.Err() != nil {
		t.Fatal("empty list is an error")
	}
	l.Add(&Diagnostic{File: "b.md", Line: 1, Msg: "x"})
	l.Add(&Diagnostic{File: "a.md", Line: 9, Msg: "y"})
	l.Add(&Diagnostic{File: "a.md", Line: 2, Msg: "z"})
	l.Add(&Diagnostic{File: "a.md", Line: 2, Msg: "z"}) // the same mistake seen twice
	var inner List
	inner.Add(&Diagnostic{File: "c.md", Msg: "inner"})
	l.AddErr("ignored.md", fmt.Errorf("wrapped: %w", &inner))
	l.AddErr("plain.md", errors.New("plain"))
	want := "5 errors:\n  a.md:2: z\n  a.md:9: y\n  b.md:1: x\n  c.md: inner\n  plain.md: plain"
	if got := l.Err().Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
