// Package fuzzmut runs a fuzz target's property over a fixed stream of
// mutated inputs inside a plain `go test`, which otherwise runs only a
// Fuzz target's seed corpus. The stream is deterministic (a PRNG seeded
// from the test's name), so a failure found in CI is the same failure on
// every machine, and its size is a count of inputs, not a time budget,
// so a loaded machine takes longer rather than testing less.
//
// It stands in for the fuzzer between real fuzzing runs (`go test -fuzz`),
// which explore far more but are too slow and too random for CI.
package fuzzmut

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Tokens are inserted by the mutator besides random bytes: the bytes
// that separate, quote, end or smuggle things in the text formats Verge
// parses by hand.
var Tokens = []string{
	"\r", "\n", "\r\n", "\r\n\r\n", ":", ": ", "\x00", " ", "  ", "\t", "\"", "'", ",", ", ", ";", "=",
	"\\", "\x7f", "\xff", "\xc3\xa9", "%", "%2F", "?", "#", "-", "/", ".", "..", "0", "-1", "1.5",
	"99999999999999999999", "2147483648", "W/", "*", "(", ")", "[", "]", "{", "}", "?0", "?1", "@", ":", "GMT",
}

// Run calls prop on each seed and then on n mutations of them (each one
// to four edits of a seed: a byte changed, a token or random byte
// inserted, a span deleted or doubled, two seeds spliced). prop returns
// a description of what is wrong, or "" when the property holds; Run
// fails the test with the input that broke it, and stops there. A panic
// in prop is reported the same way.
//
// The environment variable FUZZMUT_SCALE multiplies n, for a longer
// deterministic run (FUZZMUT_SCALE=100 go test -run Mutated ./...).
func Run(t *testing.T, n int, seeds []string, prop func(in string) string) {
	t.Helper()
	if len(seeds) == 0 {
		t.Fatal("fuzzmut: no seeds")
	}
	if s, err := strconv.Atoi(os.Getenv("FUZZMUT_SCALE")); err == nil && s > 0 {
		n *= s
	}
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	r := rand.New(rand.NewPCG(h.Sum64(), 12))
	check := func(i int, in string) bool {
		t.Helper()
		msg := func() (msg string) {
			defer func() {
				if p := recover(); p != nil {
					msg = fmt.Sprintf("panic: %v", p)
				}
			}()
			return prop(in)
		}()
		if msg != "" {
			t.Errorf("input %d %q: %s", i, in, msg)
			return false
		}
		return true
	}
	for i, s := range seeds {
		if !check(-1-i, s) {
			return
		}
	}
	for i := range n {
		if !check(i, Mutate(r, seeds)) {
			return
		}
	}
}

// Mutate returns one to four random edits of a random seed.
func Mutate(r *rand.Rand, seeds []string) string {
	b := []byte(seeds[r.IntN(len(seeds))])
	for range 1 + r.IntN(4) {
		b = edit(r, b, seeds)
	}
	return string(b)
}

func edit(r *rand.Rand, b []byte, seeds []string) []byte {
	pos := func() int { return r.IntN(len(b) + 1) }
	switch op := r.IntN(8); {
	case op == 0 && len(b) > 0: // change a byte
		b[r.IntN(len(b))] = byte(r.IntN(256))
	case op == 1 && len(b) > 0: // flip a bit (case, high bit)
		b[r.IntN(len(b))] ^= 1 << r.IntN(8)
	case op == 2 && len(b) > 0: // delete a span
		i := r.IntN(len(b))
		j := i + 1 + r.IntN(min(8, len(b)-i))
		b = append(b[:i:i], b[j:]...)
	case op == 3 && len(b) > 0: // double a span
		i := r.IntN(len(b))
		j := i + 1 + r.IntN(min(16, len(b)-i))
		p := pos()
		b = append(b[:p:p], append(append([]byte(nil), b[i:j]...), b[p:]...)...)
	case op == 4: // splice another seed in
		o := seeds[r.IntN(len(seeds))]
		i, p := r.IntN(len(o)+1), pos()
		b = append(b[:p:p], o[i:]...)
	default: // insert a token
		tok := Tokens[r.IntN(len(Tokens))]
		p := pos()
		b = append(b[:p:p], append([]byte(tok), b[p:]...)...)
	}
	return b
}

// Corpus returns the single-argument string or []byte entries of a Go
// fuzz corpus directory (testdata/fuzz/FuzzX), so that inputs the fuzzer
// once found are mutated too. A missing directory gives none.
func Corpus(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("fuzzmut: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		if !sc.Scan() || sc.Text() != "go test fuzz v1" || !sc.Scan() {
			t.Fatalf("fuzzmut: %s is not a one-value Go fuzz corpus file", f)
		}
		line := sc.Text()
		lit, ok := strings.CutPrefix(line, "string(")
		if !ok {
			lit, ok = strings.CutPrefix(line, "[]byte(")
		}
		lit, ok2 := strings.CutSuffix(lit, ")")
		s, err := strconv.Unquote(lit)
		if !ok || !ok2 || err != nil {
			t.Fatalf("fuzzmut: %s: cannot read %q", f, line)
		}
		out = append(out, s)
	}
	return out
}

// Target makes prop f's fuzz target, with seeds as its seed corpus: the
// one body every differential target shares, so that `go test -fuzz`
// and Stream check exactly the same property.
func Target(f *testing.F, seeds []string, prop func(in string) string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if msg := prop(in); msg != "" {
			t.Fatal(msg)
		}
	})
}

// Stream runs prop over n mutations (Run) of seeds and of the inputs the
// real fuzzer saved for the target named (testdata/fuzz/<target>).
func Stream(t *testing.T, n int, target string, seeds []string, prop func(in string) string) {
	t.Helper()
	Run(t, n, append(slices.Clone(seeds), Corpus(t, filepath.Join("testdata", "fuzz", target))...), prop)
}
