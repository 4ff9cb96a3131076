package httpcache

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/fuzzmut"
)

// A differential fuzz target for the Cache-Control parser: it compares
// against a small parser written straight from the RFC's grammar in this
// file, plainly, without the production parser's shortcuts. `go test`
// runs the seeds and a fixed stream of mutations (TestCacheControlMutated);
// `go test -fuzz FuzzCacheControl ./internal/httpcache` explores.

var cacheControlSeeds = []string{
	"max-age=60", `max-age="60"`, "max-age=-1, s-maxage", `private="a, b"`, `no-cache="set-cookie"`,
	"max-age=99999999999999999999999", "Max-Age=5, max-age=7", "public, s-maxage=10, stale-while-revalidate=30",
	"no-store,no-cache,must-revalidate", "max-stale, min-fresh=3", "max-stale=9", `private="a\"b", public`,
	"stale-if-error=1 , immutable", "max-age=1.5", "=,;", `no-cache=""`, " , ,max-age = 5",
}

// refCacheControl reads Cache-Control by RFC 9111 section 5.2's grammar:
//
//	Cache-Control   = #cache-directive
//	cache-directive = token [ "=" ( token / quoted-string ) ]
//
// list elements split at commas outside quoted strings, with OWS around;
// names compared case-insensitively; the first of a repeated directive
// counts (section 4.2.1). It returns each directive's value as the
// production parser hands it on (quoted values unquoted only for the
// field lists of no-cache and private).
func refCacheControl(v string) (names []string, values map[string]string, hasValue map[string]bool) {
	values, hasValue = map[string]string{}, map[string]bool{}
	var items []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted && c == '\\' && i+1 < len(v):
			cur.WriteByte(c)
			i++
			cur.WriteByte(v[i])
			continue
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			items = append(items, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	items = append(items, cur.String())
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, has := strings.Cut(item, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || slices.Contains(names, name) {
			continue
		}
		names = append(names, name)
		values[name], hasValue[name] = strings.TrimSpace(value), has
	}
	return names, values, hasValue
}

// refSeconds is delta-seconds (RFC 9111 section 1.2.2): 1*DIGIT, as an
// integer saturating at 2^31; anything else is invalid.
func refSeconds(v string, has bool) Seconds {
	if !has || v == "" || strings.Trim(v, "0123456789") != "" {
		return Seconds{Present: true, Invalid: true}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > MaxDelta {
		n = MaxDelta
	}
	return Seconds{Value: int64(n), Present: true}
}

// refFieldNames is the field-name list of a qualified no-cache or
// private: a quoted string of comma-separated names. The RFC asks for
// the quoted form, but also says a recipient should accept a token
// (section 5.2.2.4's note); either way, the names.
func refFieldNames(v string, has bool) []string {
	if !has {
		return nil
	}
	v = strings.Trim(v, `"`)
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, http.CanonicalHeaderKey(f))
		}
	}
	return out
}

func refDirectives(v string) Directives {
	names, values, has := refCacheControl(v)
	var d Directives
	for _, n := range names {
		val, h := values[n], has[n]
		switch n {
		case "max-age":
			d.MaxAge = refSeconds(val, h)
		case "s-maxage":
			d.SMaxAge = refSeconds(val, h)
		case "stale-while-revalidate":
			d.StaleWhileRevalidate = refSeconds(val, h)
		case "stale-if-error":
			d.StaleIfError = refSeconds(val, h)
		case "min-fresh":
			d.MinFresh = refSeconds(val, h)
		case "max-stale":
			if h {
				d.MaxStale = refSeconds(val, h)
			} else {
				d.MaxStaleAny = true
			}
		case "no-store":
			d.NoStore = true
		case "no-transform":
			d.NoTransform = true
		case "only-if-cached":
			d.OnlyIfCached = true
		case "public":
			d.Public = true
		case "must-revalidate":
			d.MustRevalidate = true
		case "proxy-revalidate":
			d.ProxyRevalidate = true
		case "must-understand":
			d.MustUnderstand = true
		case "immutable":
			d.Immutable = true
		case "no-cache":
			if f := refFieldNames(val, h); f != nil {
				d.NoCacheFields = f
			} else {
				d.NoCache = true
			}
		case "private":
			if f := refFieldNames(val, h); f != nil {
				d.PrivateFields = f
			} else {
				d.Private = true
			}
		}
	}
	return d
}

func cacheControlAgrees(v string) string {
	got := ParseCacheControl(http.Header{"Cache-Control": {v}})
	want := refDirectives(v)
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		return fmt.Sprintf("\ngot  %+v\nwant %+v", got, want)
	}
	// Two field lines read as one list joined with a comma (RFC 9110
	// section 5.3).
	a, b, _ := strings.Cut(v, ",")
	if two := ParseCacheControl(http.Header{"Cache-Control": {a, b}}); !strings.Contains(a, `"`) && fmt.Sprintf("%+v", two) != fmt.Sprintf("%+v", ParseCacheControl(http.Header{"Cache-Control": {a + "," + b}})) {
		return fmt.Sprintf("as two lines %q, %q: %+v", a, b, two)
	}
	return ""
}

// FuzzCacheControl checks ParseCacheControl against refDirectives.
func FuzzCacheControl(f *testing.F) { fuzzmut.Target(f, cacheControlSeeds, cacheControlAgrees) }

func TestCacheControlMutated(t *testing.T) {
	fuzzmut.Stream(t, 40000, "FuzzCacheControl", cacheControlSeeds, cacheControlAgrees)
}
