package audit

import (
	"bytes"
	"reflect"
	"testing"
)

// trickyReport has strings json.Marshal escapes, lists pages share and
// lists they do not.
func trickyReport() *Report {
	shared := expand([]RuleScore{{ID: "ycdn", Score: 90, Weight: 6, Offenders: []Offender{{"https://x.example/<a>&b", "fix \"it\""}}}})
	uses := []string{"/favicon.ico", "/a.css"}
	r := &Report{build: "b\u2028uild", Grades: map[string]int{}, Pages: []PageReport{
		{Route: "/", Key: "k1", Uses: uses, Rules: shared, Elements: 12},
		{Route: "/é/<x>/", Key: "k2", Uses: uses, Rules: shared, Elements: 3, Hosts: []string{"x.example"}, Preconnected: []string{"x.example"}},
		{Route: "/bad\xff/", Key: "", Rules: expand(nil)},
		{Route: "/tab\t/", Key: "k3", Uses: []string{"/favicon.ico", "/\x7f"}, Rules: expand([]RuleScore{{ID: "ynumreq", Score: 100, Offenders: []Offender{{"w", "f"}}}})},
	}}
	for i := range r.Pages {
		p := &r.Pages[i]
		p.Score, p.Grade = weigh(p.Rules)
	}
	r.total()
	return r
}

// Encode writes what json.Marshal writes of the stored form, for any
// strings and for lists pages share or not.
func TestEncodeIsMarshal(t *testing.T) {
	r := trickyReport()
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

// Decode reads what Encode wrote as json.Unmarshal does, and anything
// else as json.Unmarshal does too.
func TestDecodeIsUnmarshal(t *testing.T) {
	enc, err := trickyReport().Encode()
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := (&Report{}).Encode()
	if _, ok := decodeWritten(enc); !ok {
		t.Errorf("decodeWritten gave up on what Encode wrote: %s", enc)
	}
	for _, data := range [][]byte{enc, empty, []byte(` {"rules":23,"pages":[]}`), []byte(`{"rules":22,"pages":[]}`),
		[]byte(`{"rules":23,"pages":[{"r":"/","k":"","e":01}]}`), []byte(`{"rules":23,"pages":[{"r":"/\u0041","k":"","u":["a"],"e":1,"x":2}]}`)} {
		checkDecode(t, data)
	}
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	want, werr := decodeJSON(data)
	got, ok := decodeWritten(data)
	if !ok {
		return // left to decodeJSON
	}
	if werr != nil {
		t.Errorf("%s: decodeWritten read what json.Unmarshal refuses (%v)", data, werr)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ndecodeWritten %+v\njson.Unmarshal %+v", data, got, want)
	}
}

func FuzzDecode(f *testing.F) {
	enc, _ := trickyReport().Encode()
	f.Add(enc)
	f.Add([]byte(`{"rules":23,"pages":[{"r":"/","k":"a","l":[{"id":"ycdn","name":"","weight":6,"score":90}],"e":3}]}`))
	f.Fuzz(checkDecode)
}
