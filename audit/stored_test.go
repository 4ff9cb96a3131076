package audit

import (
	"bytes"
	"testing"
)

// Encode writes what json.Marshal writes of the stored form, for any
// strings and for lists pages share or not.
func TestEncodeIsMarshal(t *testing.T) {
	shared := expand([]RuleScore{{ID: "ycdn", Score: 90, Weight: 6, Offenders: []Offender{{"https://x.example/<a>&b", "fix \"it\""}}}})
	uses := []string{"/favicon.ico", "/a.css"}
	r := &Report{build: "b\u2028uild", Pages: []PageReport{
		{Route: "/", Key: "k1", Uses: uses, Rules: shared, Elements: 12},
		{Route: "/é/<x>/", Key: "k2", Uses: uses, Rules: shared, Elements: 3, Hosts: []string{"x.example"}, Preconnected: []string{"x.example"}},
		{Route: "/bad\xff/", Key: "", Rules: expand(nil)},
		{Route: "/none/"},
		{Route: "/tab\t/", Key: "k3", Uses: []string{"/favicon.ico", "/\x7f"}, Rules: expand([]RuleScore{{ID: "ynumreq", Score: 100, Offenders: []Offender{{"w", "f"}}}})},
	}}
	for _, rep := range []*Report{r, {}, {build: "x"}} {
		got, err := rep.Encode()
		if err != nil {
			t.Fatal(err)
		}
		want, err := rep.marshalStored()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Encode:\n%s\njson.Marshal:\n%s", got, want)
		}
	}
}
