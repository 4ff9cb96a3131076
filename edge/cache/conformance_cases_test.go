package cache

// A port of the REQUIRED tests of the HTTP caching conformance suite
// github.com/http-tests/cache-tests (tests/*.mjs) and of its harness
// (test-engine/client/test.mjs, test-engine/server/handle-test.mjs,
// test-engine/lib/header-fixup.mjs), run against Proxy as a shared cache
// in front of the suite's origin.
//
// It runs with the package's tests; the summary of passes and failures
// shows with
//
//	go test ./edge/cache -run TestConformance -v
//
// A test the cache is known to fail is listed in confKnownFailures with
// the reason, and skipped; any other failure fails the run.
//
// Each suite test is a subtest named by its id. As in the suite, a test
// stops at its first failing check, which is reported as "Setup" (a
// check the suite counts as a setup failure: the test could not be run
// as intended) or "Assertion" (the requirement itself), or "Error" (the
// client got no HTTP response, or the origin never saw a request the
// check needs). A test passes only when every check passes.
//
// Differences from the suite, on purpose: time is a fake clock shared by
// the origin (Date, Server-Now and date-valued fields) and the proxy, so
// pause_after advances it by 3 s instead of sleeping; each test has its
// own origin and proxy; Test-Name carries the test id; depends_on is not
// honoured (every test runs).

import (
	"strconv"
	"strings"
)

// confHeader is a header line of a test: [name, value] or [name, value,
// false]. A date one, [name, N], is the HTTP-date N seconds from the
// origin's now (the previous response's Server-Now for magic_ims).
type confHeader struct {
	name    string
	value   string
	date    bool
	offset  int
	noCheck bool // third element false: left out of the pass-through check
}

func confH(name, value string) confHeader { return confHeader{name: name, value: value} }
func confDate(name string, offset int) confHeader {
	return confHeader{name: name, date: true, offset: offset}
}

// nc marks a line the pass-through check skips.
func (h confHeader) nc() confHeader { h.noCheck = true; return h }

// confExpect is an entry of expected_response_headers.
type confExpect struct {
	name  string
	op    byte // 'p' present, '=' value, 'd' date offset, '>' greater than
	value string
	n     int
}

func confIs(name, value string) confExpect { return confExpect{name: name, op: '=', value: value} }
func confDateIs(name string, offset int) confExpect {
	return confExpect{name: name, op: 'd', n: offset}
}
func confGT(name string, n int) confExpect { return confExpect{name: name, op: '>', n: n} }

// confInterim is an interim (1xx) response: its status and header lines.
type confInterim struct {
	status  int
	headers []confHeader
}

// confReq is one request of a test, with the suite's member names in the
// comments.
type confReq struct {
	method     string       // request_method; "" is GET
	reqBody    string       // request_body
	reqHeaders []confHeader // request_headers
	magicIMS   bool         // magic_ims
	queryArg   string       // query_arg

	status      int          // response_status[0]; 0: not set (200)
	phrase      string       // response_status[1]
	respHeaders []confHeader // response_headers
	respBody    string       // response_body; "" or null: the UUID
	disconnect  bool         // disconnect
	interim     []confInterim

	expType      string        // expected_type
	expStatus    int           // expected_status; 0: not set, confNull: null
	expHeaders   []confExpect  // expected_response_headers
	expMissing   []string      // expected_response_headers_missing, names
	expMissingKV []confHeader  // the [name, value] form, which never fails in the suite
	expInterim   []confInterim // expected_interim_responses
	expReq       []confHeader  // expected_request_headers, [name, value]
	expText      *string       // expected_response_text
	noBodyCheck  bool          // check_body: false
	setup        bool
	setupTests   []string // setup_tests
	pause        bool     // pause_after
}

// confTest is one test of the suite.
type confTest struct {
	id   string
	reqs []confReq
}

const (
	confCached     = "cached"
	confNotCached  = "not_cached"
	confETagValid  = "etag_validated"
	confLMValid    = "lm_validated"
	confNull       = -1
	confBodyLength = 36 // a UUID
)

func confStr(s string) *string { return &s }

// confHTTPContent is the suite's utils.httpContent: a 15-character token
// derived from key.
func confHTTPContent(key string) string {
	seed := 0
	for _, c := range key {
		seed += int(c)
	}
	b := make([]byte, 15)
	for i := range b {
		b[i] = byte(i*seed%26 + 'a')
	}
	return string(b)
}

// confCodeContent is httpContent(<a status code>): the key is a number,
// which has no length, so its seed is 0.
var confCodeContent = strings.Repeat("a", 15)

// ---------------------------------------------------------------------
// Templates (tests/lib/templates.mjs and the per-file ones)

// confFresh is templates.fresh, response_headers concatenated.
func confFresh(extra ...confHeader) confReq {
	return confReq{respHeaders: append([]confHeader{confH("Cache-Control", "max-age=100000"), confDate("Date", 0)}, extra...), setup: true, pause: true}
}

// confBecomeStale is templates.becomeStale.
func confBecomeStale() confReq {
	return confReq{respHeaders: []confHeader{confH("Cache-Control", "max-age=2"), confDate("Date", 0), confH("Template-A", "1")}, setup: true, pause: true}
}

// confSimple is the commonest shape: R1 with these response headers
// (setup), optionally a pause, then R2 expected cached or not.
func confSimple(pause bool, expType string, hs ...confHeader) []confReq {
	return []confReq{{respHeaders: hs, setup: true, pause: pause}, {expType: expType}}
}

// confAgeParse is the shape of the age-parse tests.
func confAgeParse(maxAge, expType string, ages ...confHeader) []confReq {
	return confSimple(true, expType, append([]confHeader{confDate("Date", 0), confH("Cache-Control", maxAge)}, ages...)...)
}

// confExpiresParse is the shape of the expires-parse tests.
func confExpiresParse(pause bool, expires ...string) []confReq {
	var hs []confHeader
	for _, e := range expires {
		hs = append(hs, confH("Expires", e).nc())
	}
	return confSimple(pause, confNotCached, append(hs, confDate("Date", 0))...)
}

// confStaleClose is stale.mjs makeStaleCheckCC: the origin drops the
// connection when asked to revalidate.
func confStaleClose(cc string) []confReq {
	return []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=2, "+cc)}, setup: true, pause: true},
		{disconnect: true, expStatus: confNull, noBodyCheck: true, expMissing: []string{"server-request-count"}},
	}
}

// confHeuristic is heuristic-freshness.mjs checkStatus for a status that
// is not heuristically cacheable.
func confHeuristic(code int, phrase string) []confReq {
	return []confReq{
		{status: code, phrase: phrase, respHeaders: []confHeader{confDate("Last-Modified", -24*60*60), confDate("Date", 0)}, respBody: confCodeContent, setup: true},
		{expType: confNotCached, status: code, phrase: phrase, respBody: confCodeContent},
	}
}

// confStatusStale is status.mjs status-<code>-stale (templates.stale).
func confStatusStale(code int, phrase, body string) []confReq {
	return []confReq{
		{status: code, phrase: phrase, respBody: body, setup: true, pause: true,
			respHeaders: []confHeader{confDate("Expires", -5000), confDate("Last-Modified", -100000), confDate("Date", 0)}},
		{expType: confNotCached, respBody: body},
	}
}

// confVarySetup, confVary2Setup and confVary3Setup are vary.mjs's
// templates; next is R2.
func confVarySetup(next confReq) []confReq {
	return []confReq{{
		reqHeaders:  []confHeader{confH("Foo", "1")},
		respHeaders: []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0), confH("Vary", "Foo")},
		setup:       true,
	}, next}
}

func confVary2Setup(next confReq) []confReq {
	return []confReq{{
		reqHeaders:  []confHeader{confH("Foo", "1"), confH("Bar", "abc")},
		respHeaders: []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0), confH("Vary", "Foo, Bar").nc()},
		setup:       true,
	}, next}
}

func confVary3Setup(next confReq) []confReq {
	return []confReq{{
		reqHeaders:  []confHeader{confH("Foo", "1"), confH("Bar", "abc"), confH("Baz", "789")},
		respHeaders: []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0), confH("Vary", "Foo, Bar, Baz").nc()},
		setup:       true,
	}, next}
}

// confVaryParse is vary-parse.mjs's template with its Vary lines.
func confVaryParse(vary ...string) []confReq {
	hs := []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0)}
	for _, v := range vary {
		hs = append(hs, confH("Vary", v).nc())
	}
	req := []confHeader{confH("Foo", "1"), confH("Baz", "789")}
	return []confReq{{reqHeaders: req, respHeaders: hs, setup: true}, {reqHeaders: req, expType: confNotCached}}
}

// confStoreHeader is headers.mjs checkStoreHeader. value "" is
// httpContent('<name>-store-value').
func confStoreHeader(name, value string, stored, checkBody bool) []confReq {
	if value == "" {
		value = confHTTPContent(name + "-store-value")
	}
	hs := []confHeader{confDate("Date", 0), {name: name, value: value, noCheck: !stored}}
	if name != "Cache-Control" {
		hs = append(hs, confH("Cache-Control", "max-age=3600"))
	}
	r2 := confReq{expType: confCached, setupTests: []string{"expected_type"}, noBodyCheck: !checkBody}
	if stored {
		r2.expHeaders = []confExpect{confIs(name, value)}
	} else {
		r2.expMissingKV = []confHeader{confH(name, value)}
	}
	return []confReq{{respHeaders: hs, setup: true, pause: true, noBodyCheck: !checkBody}, r2}
}

// confUpdate304 is update304.mjs check304 with an ETag validator. a and
// b "" are httpContent('<name>-value-A') and '-B'. With noUpdate the 304's
// value must not replace the stored one.
func confUpdate304(name, a, b string, noUpdate, checkBody bool) []confReq {
	if a == "" {
		a = confHTTPContent(name + "-value-A")
	}
	if b == "" {
		b = confHTTPContent(name + "-value-B")
	}
	expected := b
	if noUpdate {
		expected = a
	}
	etag := `"` + confHTTPContent(name+"-etag-1") + `"`
	resp := func(v string, validator bool) []confHeader {
		hs := []confHeader{confDate("Date", 0), {name: name, value: v, noCheck: noUpdate}}
		if name != "Cache-Control" {
			hs = append(hs, confH("Cache-Control", "max-age=2"))
		}
		if validator && name != "ETag" {
			hs = append(hs, confH("ETag", etag))
		}
		return hs
	}
	exp := []confExpect{confIs(name, expected)}
	return []confReq{
		{respHeaders: resp(a, true), setup: true, pause: true, noBodyCheck: !checkBody},
		{respHeaders: resp(b, true), expType: confETagValid, setupTests: []string{"expected_type"}, expHeaders: exp, noBodyCheck: !checkBody},
		{respHeaders: resp(expected, false), expType: confCached, setupTests: []string{"expected_type"}, expHeaders: exp, noBodyCheck: !checkBody},
	}
}

// confInvalidate is invalidation.mjs checkInvalidation.
func confInvalidate(method string) []confReq {
	return []confReq{confFresh(), {method: method, reqBody: "abc", setup: true}, {expType: confNotCached}}
}

// ---------------------------------------------------------------------
// The required tests, in the order of the summary of the suite.

var confTests = []confTest{
	// cc-freshness.mjs
	{id: "freshness-max-age-stale", reqs: []confReq{confBecomeStale(), {expType: confNotCached}}},
	{id: "freshness-max-age-0", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=0"))},
	{id: "freshness-max-age-age", reqs: confSimple(true, confNotCached, confDate("Date", 0), confH("Cache-Control", "max-age=3600"), confH("Age", "7200"))},
	{id: "freshness-max-age-0-expires", reqs: confSimple(true, confNotCached, confDate("Expires", 3600), confH("Cache-Control", "max-age=0"), confDate("Date", 0))},
	{id: "freshness-max-age-negative", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=-3600"))},
	{id: "freshness-s-maxage-shared", reqs: confSimple(true, confCached, confH("Cache-Control", "s-maxage=3600"))},
	{id: "freshness-max-age-s-maxage-shared-longer", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=3600, s-maxage=1"))},
	{id: "freshness-max-age-s-maxage-shared-longer-reversed", reqs: confSimple(true, confNotCached, confH("Cache-Control", "s-maxage=1, max-age=3600"))},
	{id: "freshness-max-age-s-maxage-shared-longer-multiple", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=3600"), confH("Cache-Control", "s-maxage=1"))},

	// cc-parse.mjs
	{id: "freshness-max-age-ignore-quoted", reqs: confSimple(true, confNotCached, confH("Cache-Control", `extension="max-age=3600", max-age=1`).nc())},
	{id: "freshness-max-age-ignore-quoted-rev", reqs: confSimple(true, confNotCached, confH("Cache-Control", `max-age=1, extension="max-age=3600"`).nc())},
	{id: "freshness-max-age-leading-zero", reqs: confSimple(true, confCached, confH("Cache-Control", "max-age=003600").nc())},
	{id: "freshness-max-age-single-quoted", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age='3600'").nc())},

	// age-parse.mjs
	{id: "age-parse-nonnumeric", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "abc").nc())},
	{id: "age-parse-negative", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "-7200").nc())},
	{id: "age-parse-float", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "7200.0").nc())},
	{id: "age-parse-large-minus-one", reqs: confAgeParse("max-age=3600", confNotCached, confH("Age", "2147483647").nc())},
	{id: "age-parse-large", reqs: confAgeParse("max-age=3600", confNotCached, confH("Age", "2147483648").nc())},
	{id: "age-parse-larger", reqs: confAgeParse("max-age=3600", confNotCached, confH("Age", "2147483649").nc())},
	{id: "age-parse-suffix", reqs: confAgeParse("max-age=3600", confNotCached, confH("Age", "7200, 0").nc())},
	{id: "age-parse-prefix", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "0, 7200").nc())},
	{id: "age-parse-suffix-twoline", reqs: confAgeParse("max-age=3600", confNotCached, confH("Age", "7200").nc(), confH("Age", "0").nc())},
	{id: "age-parse-prefix-twoline", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "0").nc(), confH("Age", "7200").nc())},
	{id: "age-parse-dup-0", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "0, 0").nc())},
	{id: "age-parse-dup-0-twoline", reqs: confAgeParse("max-age=3600", confCached, confH("Age", "0").nc(), confH("Age", "0").nc())},
	{id: "age-parse-dup-old", reqs: confAgeParse("max-age=10000", confCached, confH("Age", "3600").nc(), confH("Age", "3600").nc())},

	// expires-freshness.mjs
	{id: "freshness-expires-past", reqs: confSimple(true, confNotCached, confDate("Expires", -30*24*60*60), confDate("Date", 0))},
	{id: "freshness-expires-present", reqs: confSimple(false, confNotCached, confDate("Expires", 0), confDate("Date", 0))},
	{id: "freshness-expires-old-date", reqs: confSimple(true, confNotCached, confDate("Expires", 300), confDate("Date", 400))},
	{id: "freshness-expires-invalid", reqs: confSimple(true, confNotCached, confH("Expires", "0").nc(), confDate("Date", 0))},
	{id: "freshness-expires-age-slow-date", reqs: confSimple(false, confNotCached, confDate("Date", -10), confDate("Expires", 10), confH("Age", "25"))},
	{id: "freshness-expires-age-fast-date", reqs: confSimple(false, confNotCached, confDate("Date", 10), confDate("Expires", 20), confH("Age", "15"))},

	// expires-parse.mjs
	{id: "freshness-expires-invalid-utc", reqs: confExpiresParse(true, "Thu, 18 Aug 2050 02:01:18 UTC")},
	{id: "freshness-expires-invalid-aest", reqs: confExpiresParse(true, "Thu, 18 Aug 2050 02:01:18 AEST")},
	{id: "freshness-expires-invalid-2-digit-year", reqs: confExpiresParse(true, "Thu, 18 Aug 50 02:01:18 GMT")},
	{id: "freshness-expires-invalid-no-comma", reqs: confExpiresParse(true, "Thu 18 Aug 2050 02:01:18 GMT")},
	{id: "freshness-expires-invalid-multiple-spaces", reqs: confExpiresParse(false, "Thu, 18  Aug  2050 02:01:18 GMT")},
	{id: "freshness-expires-invalid-date-dashes", reqs: confExpiresParse(false, "Thu, 18-Aug-2050 02:01:18 GMT")},
	{id: "freshness-expires-invalid-time-periods", reqs: confExpiresParse(false, "Thu, 18 Aug 2050 02.01.18 GMT")},
	{id: "freshness-expires-invalid-1-digit-hour", reqs: confExpiresParse(false, "Thu, 18 Aug 2050 2:01:18 GMT")},
	{id: "freshness-expires-invalid-multiple-lines", reqs: confExpiresParse(false, "Thu, 18 Aug 2050 2:01:18 GMT", "Thu, 18 Aug 2050 2:01:19 GMT")},

	// cc-response.mjs
	{id: "cc-resp-private-shared", reqs: confSimple(false, confNotCached, confH("Cache-Control", "private, max-age=3600"))},
	{id: "cc-resp-no-store", reqs: confSimple(false, confNotCached, confH("Cache-Control", "no-store"))},
	{id: "cc-resp-no-store-case-insensitive", reqs: confSimple(false, confNotCached, confH("Cache-Control", "No-StOrE"))},
	{id: "cc-resp-no-store-fresh", reqs: confSimple(false, confNotCached, confH("Cache-Control", "max-age=10000, no-store"), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cc-resp-no-store-old-new", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=10000"), confDate("Expires", 10000), confDate("Date", 0), confH("A", "1")}, setup: true, pause: true},
		{respHeaders: []confHeader{confH("Cache-Control", "no-store"), confDate("Date", 0), confH("A", "2")}, setup: true, pause: true},
		{expType: confCached, expHeaders: []confExpect{confIs("a", "1")}},
	}},
	{id: "cc-resp-no-store-old-max-age", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=10000"), confDate("Expires", 10000), confDate("Date", 0), confH("A", "1")}, setup: true, pause: true},
		{respHeaders: []confHeader{confH("Cache-Control", "no-store, max-age=0"), confDate("Date", 0), confH("A", "2")}, setup: true, pause: true},
		{expType: confCached, expHeaders: []confExpect{confIs("a", "1")}},
	}},
	{id: "cc-resp-no-cache", reqs: confSimple(false, confNotCached, confH("Cache-Control", "max-age=10000, no-cache"), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cc-resp-no-cache-case-insensitive", reqs: confSimple(false, confNotCached, confH("Cache-Control", "max-age=10000, No-CaChE"), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cc-resp-must-revalidate-stale", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=2, must-revalidate"), confH("ETag", `"abcd"`)}, setup: true},
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=2, must-revalidate"), confH("ETag", `"abcd"`)}, expType: confCached, setup: true, pause: true},
		{expType: confETagValid},
	}},

	// stale.mjs
	{id: "stale-while-revalidate-window", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=1, stale-while-revalidate=4"), confH("ETag", `"abc"`)}, setup: true, pause: true},
		{respHeaders: []confHeader{confH("Cache-Control", "no-cache").nc(), confH("ETag", `"def"`).nc()}, expType: confCached, setup: true, pause: true},
		{expHeaders: []confExpect{confIs("client-request-count", "3")}},
	}},
	{id: "stale-close-must-revalidate", reqs: confStaleClose("must-revalidate")},
	{id: "stale-close-proxy-revalidate", reqs: confStaleClose("proxy-revalidate")},
	{id: "stale-close-no-cache", reqs: confStaleClose("no-cache")},
	{id: "stale-close-s-maxage=2", reqs: confStaleClose("s-maxage=2")},

	// heuristic-freshness.mjs
	{id: "heuristic-201-not_cached", reqs: confHeuristic(201, "Created")},
	{id: "heuristic-202-not_cached", reqs: confHeuristic(202, "Accepted")},
	{id: "heuristic-403-not_cached", reqs: confHeuristic(403, "Forbidden")},
	{id: "heuristic-502-not_cached", reqs: confHeuristic(502, "Bad Gateway")},
	{id: "heuristic-503-not_cached", reqs: confHeuristic(503, "Service Unavailable")},
	{id: "heuristic-504-not_cached", reqs: confHeuristic(504, "Gateway Timeout")},
	{id: "heuristic-599-not_cached", reqs: confHeuristic(599, "Unknown")},

	// status.mjs
	{id: "status-200-stale", reqs: confStatusStale(200, "OK", confCodeContent)},
	{id: "status-203-stale", reqs: confStatusStale(203, "Non-Authoritative Information", confCodeContent)},
	{id: "status-204-stale", reqs: confStatusStale(204, "No Content", "")},
	{id: "status-299-stale", reqs: confStatusStale(299, "Whatever", confCodeContent)},
	{id: "status-301-stale", reqs: confStatusStale(301, "Moved Permanently", confCodeContent)},
	{id: "status-302-stale", reqs: confStatusStale(302, "Found", confCodeContent)},
	{id: "status-303-stale", reqs: confStatusStale(303, "See Other", confCodeContent)},
	{id: "status-307-stale", reqs: confStatusStale(307, "Temporary Redirect", confCodeContent)},
	{id: "status-308-stale", reqs: confStatusStale(308, "Permanent Redirect", confCodeContent)},
	{id: "status-400-stale", reqs: confStatusStale(400, "Bad Request", confCodeContent)},
	{id: "status-404-stale", reqs: confStatusStale(404, "Not Found", confCodeContent)},
	{id: "status-410-stale", reqs: confStatusStale(410, "Gone", confCodeContent)},
	{id: "status-499-stale", reqs: confStatusStale(499, "Whatever", confCodeContent)},
	{id: "status-500-stale", reqs: confStatusStale(500, "Internal Server Error", confCodeContent)},
	{id: "status-502-stale", reqs: confStatusStale(502, "Bad Gateway", confCodeContent)},
	{id: "status-503-stale", reqs: confStatusStale(503, "Service Unavailable", confCodeContent)},
	{id: "status-504-stale", reqs: confStatusStale(504, "Gateway Timeout", confCodeContent)},
	{id: "status-599-stale", reqs: confStatusStale(599, "Whatever", confCodeContent)},
	{id: "status-599-must-understand", reqs: []confReq{
		{status: 599, phrase: "Whatever", respHeaders: []confHeader{confH("Cache-Control", "max-age=3600, no-store, must-understand")}, setup: true},
		{expType: confNotCached},
	}},

	// vary.mjs
	{id: "vary-no-match", reqs: confVarySetup(confReq{reqHeaders: []confHeader{confH("Foo", "2")}, expType: confNotCached})},
	{id: "vary-omit-stored", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0), confH("Vary", "Foo")}, setup: true},
		{reqHeaders: []confHeader{confH("Foo", "1")}, expType: confNotCached},
	}},
	{id: "vary-omit", reqs: confVarySetup(confReq{expType: confNotCached})},
	{id: "vary-2-no-match", reqs: confVary2Setup(confReq{reqHeaders: []confHeader{confH("Foo", "2"), confH("Bar", "abc")}, expType: confNotCached})},
	{id: "vary-2-match-omit", reqs: confVary2Setup(confReq{expType: confNotCached})},
	{id: "vary-3-no-match", reqs: confVary3Setup(confReq{reqHeaders: []confHeader{confH("Foo", "2"), confH("Bar", "abc"), confH("Baz", "789")}, expType: confNotCached})},
	{id: "vary-3-order", reqs: confVary3Setup(confReq{reqHeaders: []confHeader{confH("Foo", "1"), confH("Baz", "789"), confH("Bar", "abcde")}, expType: confNotCached})},
	{id: "vary-star", reqs: []confReq{
		{reqHeaders: []confHeader{confH("Foo", "1"), confH("Baz", "789")},
			respHeaders: []confHeader{confH("Cache-Control", "max-age=5000"), confDate("Last-Modified", -3000), confDate("Date", 0), confH("Vary", "*")}, setup: true},
		{reqHeaders: []confHeader{confH("Foo", "1"), confH("Baz", "789")}, expType: confNotCached},
	}},

	// vary-parse.mjs
	{id: "vary-syntax-star", reqs: confVaryParse("*")},
	{id: "vary-syntax-star-star", reqs: confVaryParse("*, *")},
	{id: "vary-syntax-star-star-lines", reqs: confVaryParse("*", "*")},
	{id: "vary-syntax-empty-star", reqs: confVaryParse(", *")},
	{id: "vary-syntax-empty-star-lines", reqs: confVaryParse("", "*")},
	{id: "vary-syntax-star-foo", reqs: confVaryParse("*, Foo")},
	{id: "vary-syntax-foo-star", reqs: confVaryParse("Foo, *")},

	// conditional-etag.mjs
	{id: "conditional-304-etag", reqs: []confReq{
		confFresh(confH("ETag", `"abcdef"`)),
		{reqHeaders: []confHeader{confH("If-None-Match", `"abcdef"`)}, expType: confCached, expStatus: 304, expHeaders: []confExpect{confIs("ETag", `"abcdef"`)}},
	}},
	{id: "conditional-etag-precedence", reqs: []confReq{
		confFresh(confDate("Last-Modified", -5000), confH("ETag", `"abcdef"`)),
		{reqHeaders: []confHeader{confH("If-None-Match", `"abcdef"`), confDate("If-Modified-Since", -1)}, magicIMS: true, expType: confCached, expStatus: 304},
	}},
	{id: "conditional-etag-vary-headers", reqs: []confReq{
		{reqHeaders: []confHeader{confH("Abc", "123")},
			respHeaders: []confHeader{confDate("Expires", 1), confH("ETag", `"abcdef"`), confDate("Date", 0), confH("Vary", "Abc")}, setup: true, pause: true},
		{reqHeaders: []confHeader{confH("Abc", "123")}, expType: confETagValid, expReq: []confHeader{confH("Abc", "123")}, setupTests: []string{"expected_type"}},
	}},

	// headers.mjs
	{id: "headers-omit-headers-listed-in-Connection", reqs: []confReq{
		confFresh(confH("Connection", "a, b").nc(), confH("a", "1").nc(), confH("b", "2").nc(), confH("c", "3").nc()),
		{expType: confCached, expHeaders: []confExpect{confIs("c", "3")}, expMissing: []string{"a", "b"}, setupTests: []string{"expected_type", "expected_response_headers"}},
	}},
	{id: "headers-store-Test-Header", reqs: confStoreHeader("Test-Header", "", true, true)},
	{id: "headers-store-X-Test-Header", reqs: confStoreHeader("X-Test-Header", "", true, true)},
	{id: "headers-store-Content-Foo", reqs: confStoreHeader("Content-Foo", "", true, true)},
	{id: "headers-store-X-Content-Foo", reqs: confStoreHeader("X-Content-Foo", "", true, true)},
	{id: "headers-store-Cache-Control", reqs: confStoreHeader("Cache-Control", "max-age=3600", true, true)},
	{id: "headers-store-Content-Encoding", reqs: confStoreHeader("Content-Encoding", "", true, true)},
	{id: "headers-store-Content-Length", reqs: confStoreHeader("Content-Length", "10", true, false)},
	{id: "headers-store-Content-Location", reqs: confStoreHeader("Content-Location", "/bar", true, true)},
	{id: "headers-store-Content-MD5", reqs: confStoreHeader("Content-MD5", "N7UdGUp1E+RbVvZSTy1R8g==", true, true)},
	{id: "headers-store-Content-Range", reqs: confStoreHeader("Content-Range", "", true, true)},
	{id: "headers-store-Content-Security-Policy", reqs: confStoreHeader("Content-Security-Policy", "default-src 'self' cdn.example.com", true, true)},
	{id: "headers-store-Content-Type", reqs: confStoreHeader("Content-Type", "text/plain;charset=utf-8", true, true)},
	{id: "headers-store-Clear-Site-Data", reqs: confStoreHeader("Clear-Site-Data", "cookies", true, true)},
	{id: "headers-store-ETag", reqs: confStoreHeader("ETag", `"ghijkl"`, true, true)},
	{id: "headers-store-Expires", reqs: confStoreHeader("Expires", "Mon, 11 Jan 2038 11:11:11 GMT", true, true)},
	{id: "headers-store-Public-Key-Pins", reqs: confStoreHeader("Public-Key-Pins", "", true, true)},
	{id: "headers-store-Set-Cookie", reqs: confStoreHeader("Set-Cookie", "a=c", true, true)},
	{id: "headers-store-Set-Cookie2", reqs: confStoreHeader("Set-Cookie2", "a=c", true, true)},
	{id: "headers-store-X-Frame-Options", reqs: confStoreHeader("X-Frame-Options", "sameorigin", true, true)},
	{id: "headers-store-X-XSS-Protection", reqs: confStoreHeader("X-XSS-Protection", "1; mode=block", true, true)},
	{id: "headers-store-Connection", reqs: confStoreHeader("Connection", "", false, true)},
	{id: "headers-store-Keep-Alive", reqs: confStoreHeader("Keep-Alive", "", false, true)},
	{id: "headers-store-Proxy-Authenticate", reqs: confStoreHeader("Proxy-Authenticate", "", false, true)},
	{id: "headers-store-Proxy-Authentication-Info", reqs: confStoreHeader("Proxy-Authentication-Info", "", false, true)},
	{id: "headers-store-Proxy-Authorization", reqs: confStoreHeader("Proxy-Authorization", "", false, true)},
	{id: "headers-store-Proxy-Connection", reqs: confStoreHeader("Proxy-Connection", "", false, true)},
	{id: "headers-store-TE", reqs: confStoreHeader("TE", "", false, true)},
	{id: "headers-store-Transfer-Encoding", reqs: confStoreHeader("Transfer-Encoding", "", false, true)},
	{id: "headers-store-Upgrade", reqs: confStoreHeader("Upgrade", "", false, true)},

	// update304.mjs
	{id: "304-lm-use-stored-Test-Header", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=2"), confH("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"), confDate("Date", 0),
			confH("Test-Header", confHTTPContent("Test-Header-value-A"))}, setup: true, pause: true},
		{respHeaders: []confHeader{confH("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"), confDate("Date", 0)}, expType: confLMValid,
			expHeaders: []confExpect{confIs("Test-Header", confHTTPContent("Test-Header-value-A"))}, setupTests: []string{"expected_type"}},
	}},
	{id: "304-etag-update-response-Test-Header", reqs: confUpdate304("Test-Header", "", "", false, true)},
	{id: "304-etag-update-response-X-Test-Header", reqs: confUpdate304("X-Test-Header", "", "", false, true)},
	{id: "304-etag-update-response-Content-Foo", reqs: confUpdate304("Content-Foo", "", "", false, true)},
	{id: "304-etag-update-response-X-Content-Foo", reqs: confUpdate304("X-Content-Foo", "", "", false, true)},
	{id: "304-etag-update-response-Cache-Control", reqs: confUpdate304("Cache-Control", "max-age=1", "max-age=3600", false, true)},
	{id: "304-etag-update-response-Content-Length", reqs: confUpdate304("Content-Length", strconv.Itoa(confBodyLength), "10", true, false)},

	// invalidation.mjs
	{id: "invalidate-POST", reqs: confInvalidate("POST")},
	{id: "invalidate-PUT", reqs: confInvalidate("PUT")},
	{id: "invalidate-DELETE", reqs: confInvalidate("DELETE")},
	{id: "invalidate-M-SEARCH", reqs: confInvalidate("M-SEARCH")},

	// partial.mjs
	{id: "partial-use-headers", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=3600"), confH("A", "1")}, respBody: "01234567890", setup: true},
		{reqHeaders: []confHeader{confH("Range", "bytes=0-1")}, expType: confCached, expStatus: 206, expText: confStr("01"),
			setupTests: []string{"expected_type", "expected_status", "expected_response_text"}, respHeaders: []confHeader{confH("A", "2")}},
	}},
	{id: "partial-use-stored-headers", reqs: []confReq{
		{respHeaders: []confHeader{confH("Cache-Control", "max-age=3600"), confH("A", "1")}, respBody: "01234567890", setup: true},
		{reqHeaders: []confHeader{confH("Range", "bytes=0-1")}, expType: confCached, expStatus: 206, expText: confStr("01"),
			setupTests: []string{"expected_type", "expected_status", "expected_response_text"}, expHeaders: []confExpect{confIs("A", "1")}},
	}},

	// authorization.mjs
	{id: "other-authorization", reqs: []confReq{
		func() confReq {
			r := confFresh()
			r.reqHeaders = []confHeader{confH("Authorization", "FOO")}
			r.expReq = []confHeader{confH("Authorization", "FOO")}
			return r
		}(),
		{expType: confNotCached},
	}},

	// other.mjs
	{id: "other-age-gen", reqs: []confReq{confFresh(), {expType: confCached, expHeaders: []confExpect{confGT("Age", 2)}}}},
	{id: "other-age-update-expires", reqs: []confReq{
		{respHeaders: []confHeader{confDate("Expires", 30*24*60*60), confDate("Date", 0), confH("Age", "30")}, setup: true, pause: true},
		{expType: confCached, expHeaders: []confExpect{confGT("Age", 32)}},
	}},
	{id: "other-age-update-max-age", reqs: []confReq{confFresh(confH("Age", "30")), {expType: confCached, expHeaders: []confExpect{confGT("Age", 32)}}}},
	{id: "other-date-update", reqs: []confReq{confFresh(), {expType: confCached, expHeaders: []confExpect{confDateIs("Date", 0)}}}},
	{id: "other-date-update-expires", reqs: []confReq{
		{respHeaders: []confHeader{confDate("Expires", 30*24*60*60), confDate("Date", 0)}, setup: true, pause: true},
		{expType: confCached, expHeaders: []confExpect{confDateIs("Date", 0)}},
	}},
	{id: "query-args-different", reqs: []confReq{
		func() confReq {
			r := confFresh()
			r.queryArg = "test=" + confHTTPContent("query-args-different-1")
			return r
		}(),
		{queryArg: "test=" + confHTTPContent("query-args-different-2"), expType: confNotCached},
	}},

	// cdn-cache-control.mjs
	{id: "cdn-max-age-age", reqs: confSimple(true, confNotCached, confDate("Date", 0), confH("CDN-Cache-Control", "max-age=3600").nc(), confH("Age", "7200"))},
	{id: "cdn-max-age-0", reqs: confSimple(true, confNotCached, confH("CDN-Cache-Control", "max-age=0").nc())},
	{id: "cdn-max-age-0-expires", reqs: confSimple(true, confNotCached, confH("CDN-Cache-Control", "max-age=0").nc(), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cdn-max-age-long-cc-max-age", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=3600"), confH("CDN-Cache-Control", "max-age=1").nc())},
	{id: "cdn-private", reqs: confSimple(false, confNotCached, confH("CDN-Cache-Control", "private"), confH("Cache-Control", "max-age=10000"), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cdn-no-cache", reqs: confSimple(false, confNotCached, confH("CDN-Cache-Control", "no-cache"), confH("Cache-Control", "max-age=10000"), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cdn-no-store-cc-fresh", reqs: confSimple(true, confNotCached, confH("Cache-Control", "max-age=10000"), confH("CDN-Cache-Control", "no-store").nc(), confDate("Expires", 10000), confDate("Date", 0))},
	{id: "cdn-fresh-cc-nostore", reqs: confSimple(true, confCached, confH("Cache-Control", "no-store"), confH("CDN-Cache-Control", "max-age=10000").nc())},
	{id: "cdn-cc-invalid-sh-type-unknown", reqs: confSimple(true, confNotCached, confH("CDN-Cache-Control", "max-age=10000, &&&&&").nc(), confH("Cache-Control", "no-store"))},
	{id: "cdn-cc-invalid-sh-type-wrong", reqs: confSimple(true, confNotCached, confH("CDN-Cache-Control", `max-age="10000"`).nc(), confH("Cache-Control", "no-store"))},

	// interim.mjs. R2's expected_interim_responses is [], which checks
	// nothing, so it is left out.
	{id: "interim-not-cached", reqs: []confReq{
		{interim: []confInterim{{103, []confHeader{confH("link", "</styles.css>; rel=preload; as=style")}}},
			expInterim:  []confInterim{{103, []confHeader{confH("link", "</styles.css>; rel=preload; as=style")}}},
			respHeaders: []confHeader{confH("Cache-Control", "max-age=100000"), confDate("Date", 0)}, pause: true},
		{expType: confCached},
	}},
}

// ---------------------------------------------------------------------
// The origin: test-engine/server/handle-test.mjs
