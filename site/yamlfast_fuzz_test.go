package site

import (
	"fmt"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vergehq/verge/internal/fuzzmut"
)

var fastYAMLSeeds = []string{
	"title: Hello\ndate: 2024-01-02T10:00:00Z\ntags: [a, b-c, \"d e\"]\nsummary: \"One. Two.\"\n",
	"title: 'single'\ndraft: true\nweight: -3\nrating: 4.5\nempty:\n",
	"tags:\n  - one\n  - two\nnext: 1\n", "tags:\n- one\n- 'two'\n", "title: yes\nn: null\nt: ~\nv: 0x1F\nd: 2024-01-02\n",
	"tags: []\n", "url: https://example.org/x\n", "# c\n\ntitle: x\r\nweight: 007\n", "a: 1e3\nb: .inf\nc: -.NaN\nd: 0o17\n",
	"title: \"\"\ns: ''\nk_2: on\n", "list: [1, 2.5, true, null]\n",
}

// fastYAMLAgrees checks fastYAML against yaml.v3, the library it cuts
// short: where the fast path says ok, its node must decode as yaml.v3's
// node of the same bytes does, into map[string]any, into any and into
// the common fields (errors included), and its scalars must carry the
// same line, which decode errors quote.
func fastYAMLAgrees(src string) string {
	fast, ok := fastYAML([]byte(src))
	if !ok {
		return "" // declined: yaml.v3 reads it, and reports its errors
	}
	var slow yaml.Node
	if err := yaml.Unmarshal([]byte(src), &slow); err != nil {
		return fmt.Sprintf("fast path accepts, yaml.v3 rejects: %v", err)
	}
	if len(slow.Content) == 0 {
		// yaml.v3 reads a document of comments and blank lines as no
		// document; the fast path gives an empty map, which decodes to
		// the same nothing in decodeFrontMatter's callers.
		if m := fast.Content[0]; len(m.Content) != 0 {
			return fmt.Sprintf("yaml.v3 sees no document, the fast path %d nodes", len(m.Content))
		}
		return ""
	}
	var a, b map[string]any
	errA, errB := fast.Decode(&a), slow.Decode(&b)
	if (errA == nil) != (errB == nil) || !sameValue(a, b) {
		return fmt.Sprintf("map: fast %#v (%v), yaml.v3 %#v (%v)", a, errA, b, errB)
	}
	var x, y any
	errA, errB = fast.Decode(&x), slow.Decode(&y)
	if (errA == nil) != (errB == nil) || !sameValue(x, y) {
		return fmt.Sprintf("any: fast %#v (%v), yaml.v3 %#v (%v)", x, errA, y, errB)
	}
	var ca, cb commonMeta
	errA, errB = fast.Decode(&ca), slow.Decode(&cb)
	if fmt.Sprint(errA) != fmt.Sprint(errB) || !reflect.DeepEqual(ca, cb) {
		return fmt.Sprintf("commonMeta: fast %+v (%v), yaml.v3 %+v (%v)", ca, errA, cb, errB)
	}
	return sameNodes(fast.Content[0], slow.Content[0])
}

// sameNodes compares what decoding and its error messages use: kind,
// resolved tag, value, style and position of every node.
func sameNodes(f, s *yaml.Node) string {
	if f.Kind != s.Kind || f.ShortTag() != s.ShortTag() || f.Value != s.Value || len(f.Content) != len(s.Content) {
		return fmt.Sprintf("node %v %s %q (%d) vs yaml.v3 %v %s %q (%d)", f.Kind, f.ShortTag(), f.Value, len(f.Content), s.Kind, s.ShortTag(), s.Value, len(s.Content))
	}
	// Lines only: decode errors quote "line N", which yamlDiagnostic
	// turns into the diagnostic's line; they never show a column, and
	// the fast path gives a flow list's items the list's column and a
	// bare "key:" null column 3 (yaml.v3: their own, and after the colon).
	if f.Kind == yaml.ScalarNode && f.Line != s.Line {
		return fmt.Sprintf("scalar %q on line %d, yaml.v3 on line %d", f.Value, f.Line, s.Line)
	}
	for i := range f.Content {
		if msg := sameNodes(f.Content[i], s.Content[i]); msg != "" {
			return msg
		}
	}
	return ""
}

// FuzzFastYAML checks the fast front-matter path against yaml.v3.
func FuzzFastYAML(f *testing.F) { fuzzmut.Target(f, fastYAMLSeeds, fastYAMLAgrees) }

func TestFastYAMLMutated(t *testing.T) {
	fuzzmut.Stream(t, 100000, "FuzzFastYAML", fastYAMLSeeds, fastYAMLAgrees)
}

// sameValue is reflect.DeepEqual, but for NaN, which is not equal to
// itself and which both read .nan as.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}
