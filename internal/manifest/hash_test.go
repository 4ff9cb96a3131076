package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAssetHashMatchesWrangler(t *testing.T) {
	// Wrangler's own fixture: logo.png containing "foobar".
	if got, want := AssetHash("/logo.png", []byte("foobar")), "2082190357cfd3617ccfe04f340c6247"; got != want {
		t.Fatalf("AssetHash = %s, want %s", got, want)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	m := &Manifest{Schema: SchemaVersion, BuildID: "b", Site: SiteInfo{Title: "T <&>"},
		Files:     []File{{Path: "/a.html", Tags: []string{"x"}}, {Path: "/b.css"}},
		Functions: []Function{{Pattern: "GET /api/x", Path: "/api/x"}}}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var back Manifest
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Errorf("round trip: got %+v, want %+v", back, *m)
	}
	if n := strings.Count(string(data), "\n"); n < 4 {
		t.Errorf("want one file per line:\n%s", data)
	}
}

func BenchmarkAssetHash(b *testing.B) {
	page := []byte(strings.Repeat("<p>Some page text with <a href=/x/>links</a>.</p>\n", 60))
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		AssetHash("/posts/x/index.html", page)
	}
}
