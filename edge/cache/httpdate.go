package cache

import (
	"time"
)

// httpDateLayouts are the three forms of an HTTP-date (RFC 9110 section
// 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms a
// recipient must still accept.
var httpDateLayouts = [...]string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

// parseHTTPDate parses an HTTP-date strictly: the value must be exactly
// what formatting the time it names in its form gives back. time.Parse
// alone (and http.ParseTime) lets through runs of spaces and one-digit
// hours, and a cache that reads a malformed Expires as a date keeps
// fresh a response the origin meant as expired.
func parseHTTPDate(s string) (time.Time, bool) {
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, s); err == nil && t.Format(layout) == s {
			return t, true
		}
	}
	return time.Time{}, false
}
