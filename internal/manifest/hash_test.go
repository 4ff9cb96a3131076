package manifest

import "testing"

func TestAssetHashMatchesWrangler(t *testing.T) {
	// Wrangler's own fixture: logo.png containing "foobar".
	if got, want := AssetHash("/logo.png", []byte("foobar")), "2082190357cfd3617ccfe04f340c6247"; got != want {
		t.Fatalf("AssetHash = %s, want %s", got, want)
	}
}
