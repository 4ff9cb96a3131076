package engine

// This file holds facts: the values a page read, each with the version
// it had. Tags say what a page read (an entry, a collection); facts say
// which part of it (the entry's title, the first five members of the
// collection) and the version is the hash of that value itself. An edit
// that changes an entry's body leaves the version of its title as it was,
// so the lists that show only titles are proven unchanged without being
// rendered again: early cutoff, as build systems call it.
//
// A fact belongs to a tag, and a tag's version changes whenever any of
// its facts' do: so a page whose tags kept their versions is unchanged
// without looking at its facts, and only the facts of tags that changed
// are asked for their versions again (FactSource).

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FactKey names a value: Field of what Tag names, or the whole of it
// when Field is "".
type FactKey struct {
	Tag   string
	Field string
}

// String is the key as messages show it: "e:posts/a#title".
func (k FactKey) String() string {
	if k.Field == "" {
		return k.Tag
	}
	return k.Tag + "#" + k.Field
}

// Fact is a value a page read and the version it had.
type Fact struct {
	FactKey
	Version uint64
}

// Facts is what one page read, sorted by key.
type Facts []Fact

// FactSource is a Loader whose state can say the current version of a
// fact about one of its tags: it is asked only for facts whose tag's
// version changed, to tell whether the part a page read changed too.
type FactSource interface {
	// FactVersion returns the version k has in b; ok is false when the
	// source does not hold k's tag (another source may) or the value is
	// gone.
	FactVersion(b *Build, k FactKey) (v uint64, ok bool)
}

// Hash is the version of a value made of parts: stable across processes
// and builds, so versions recorded by one build compare with the next's.
// It is FNV-1a (64 bits) over the parts, each followed by a zero byte,
// written out so that hashing a title allocates nothing: a 100,000-page
// build hashes a million values.
func Hash(parts ...string) uint64 {
	h := uint64(fnvOffset)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * fnvPrime
		}
		h *= fnvPrime // the zero byte: h ^ 0 == h
	}
	return h
}

// HashBytes is FNV-1a (64 bits) of p.
func HashBytes(p []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range p {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// factVersion is the version k has in b, if b can tell: a fact about a
// whole tag has its tag's version; a part of one is its source's answer.
func (b *Build) factVersion(k FactKey) (uint64, bool) {
	if k.Field == "" {
		v, ok := b.versions()[k.Tag]
		return Hash(v), ok
	}
	for _, l := range b.loaders {
		if fs, ok := l.(FactSource); ok {
			if v, ok := fs.FactVersion(b, k); ok {
				return v, true
			}
		}
	}
	return 0, false
}

// stillHold reports whether every fact still has its version in b. was
// and now give the versions of a tag in the build the facts were read in
// and in b: a fact whose tag kept its version holds without a look.
func stillHold(b *Build, facts Facts, was, now func(tag string) (string, bool)) bool {
	for _, f := range facts {
		nv, ok := now(f.Tag)
		if !ok {
			return false // read outside Verge's readers (Ctx.Depend), or gone
		}
		if ov, ok := was(f.Tag); ok && ov == nv {
			continue
		}
		if v, ok := b.factVersion(f.FactKey); !ok || v != f.Version {
			return false
		}
	}
	return true
}

// firstChanged is the first fact of facts that does not hold in b (as
// stillHold judges), for explaining why a page was rendered again.
func firstChanged(b *Build, facts Facts, was, now func(tag string) (string, bool)) (Fact, bool) {
	for i := range facts {
		if !stillHold(b, facts[i:i+1], was, now) {
			return facts[i], true
		}
	}
	return Fact{}, false
}

func sortFacts(fs Facts) {
	slices.SortFunc(fs, func(a, b Fact) int {
		return cmp.Or(strings.Compare(a.Tag, b.Tag), strings.Compare(a.Field, b.Field))
	})
}

// appendFacts encodes facts one a line, "tag field version": tags and
// fields hold no spaces (see MakeTag), so the line splits unambiguously.
func appendFacts(buf []byte, facts Facts) []byte {
	for _, f := range facts {
		buf = append(buf, f.Tag...)
		buf = append(buf, ' ')
		buf = append(buf, f.Field...)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, f.Version, 16)
		buf = append(buf, '\n')
	}
	return buf
}

// parseFacts decodes what appendFacts wrote.
func parseFacts(data []byte) (Facts, error) {
	var out Facts
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		f, err := parseFact(line)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFact(line []byte) (Fact, error) {
	i := bytes.IndexByte(line, ' ')
	j := bytes.LastIndexByte(line, ' ')
	if i < 0 || j <= i {
		return Fact{}, fmt.Errorf("malformed fact %q", line)
	}
	v, err := strconv.ParseUint(string(line[j+1:]), 16, 64)
	if err != nil {
		return Fact{}, fmt.Errorf("malformed fact %q: %w", line, err)
	}
	return Fact{FactKey{string(line[:i]), string(line[i+1 : j])}, v}, nil
}
