package site

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/diag"
)

func TestJSONDiagnosticLocatesTheError(t *testing.T) {
	for _, tc := range []struct {
		src        string
		line, col  int
		into       any
		wantSubstr string
	}{
		{"{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 11, &map[string]any{}, "invalid character"},
		{"{\n  \"n\": \"x\"\n}", 2, 10, &struct{ N int }{}, "cannot unmarshal"},
	} {
		err := jsonDiagnostic("data/x.json", []byte(tc.src), json.Unmarshal([]byte(tc.src), tc.into))
		var d *diag.Diagnostic
		if !errors.As(err, &d) {
			t.Fatalf("%q: %v is not a diagnostic", tc.src, err)
		}
		if d.File != "data/x.json" || d.Line != tc.line || d.Col != tc.col || !strings.Contains(d.Msg, tc.wantSubstr) {
			t.Errorf("%q: %s:%d:%d %q, want line %d col %d and %q", tc.src, d.File, d.Line, d.Col, d.Msg, tc.line, tc.col, tc.wantSubstr)
		}
	}
}
