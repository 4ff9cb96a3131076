package site

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestFastYAMLAgreesWithYAMLv3 checks that wherever the fast path accepts
// input, it decodes exactly as yaml.v3 does, and that it declines input
// outside its subset.
func TestFastYAMLAgreesWithYAMLv3(t *testing.T) {
	cases := []struct {
		src    string
		accept bool
	}{
		{"title: Hello\ndate: 2024-01-02T10:00:00Z\ntags: [a, b-c, \"d e\"]\nsummary: \"One. Two.\"\n", true},
		{"title: 'single'\ndraft: true\nweight: -3\nrating: 4.5\nempty:\n", true},
		{"# comment\ntitle: x\n\ntags:\n  - one\n  - 'two'\n- three\n", false},
		{"tags:\n  - one\n  - two\nnext: 1\n", true},
		{"tags:\n- one\n- two\n", true},
		{"tags:\n  - one\n - two\n", false},
		{"title: yes\nn: null\nt: ~\nv: 0x1F\nd: 2024-01-02\n", true},
		{"title: a: b\n", false},
		{"title: x # comment\n", false},
		{"title: \"with \\\"escape\\\"\"\n", false},
		{"nested:\n  key: v\n", false},
		{"a: 1\na: 2\n", false},
		{"anchor: &x 1\n", false},
		{"title: [a, [b]]\n", false},
		{"multi: |\n  text\n", false},
		{"tags: []\n", true},
		{"url: https://example.org/x\n", true},
	}
	for _, tc := range cases {
		fast, ok := fastYAML([]byte(tc.src))
		if ok != tc.accept {
			t.Errorf("fastYAML(%q) accepted = %v, want %v", tc.src, ok, tc.accept)
			continue
		}
		if !ok {
			continue
		}
		var slow yaml.Node
		if err := yaml.Unmarshal([]byte(tc.src), &slow); err != nil {
			t.Fatalf("yaml.v3 rejects %q: %v", tc.src, err)
		}
		var a, b map[string]any
		if err := fast.Decode(&a); err != nil {
			t.Fatalf("decode fast %q: %v", tc.src, err)
		}
		if err := slow.Decode(&b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%q:\nfast %#v\nslow %#v", tc.src, a, b)
		}
		var ca, cb commonMeta
		errA, errB := fast.Decode(&ca), slow.Decode(&cb)
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(ca, cb) {
			t.Errorf("%q into commonMeta: fast %+v %v, slow %+v %v", tc.src, ca, errA, cb, errB)
		}
	}
}
