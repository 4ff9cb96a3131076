// Package httpcache is what the edge and the audit must agree on about how
// a response is cached and sent: the Cache-Control directives (RFC 9111
// section 5.2) and which content types the edge sends compressed.
//
// It is a leaf, importing only the standard library, because the audit is
// linked into every site program (site imports audit): were these rules in
// edge or edge/cache, each site binary would link the edge server, its
// front end and brotli only to read a header and a content type.
package httpcache
