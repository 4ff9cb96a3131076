package audit

// This file holds the tokens of a page read in place: the tokens
// golang.org/x/net/html's Tokenizer gives, for the pages a build writes,
// at a fraction of its cost. The Tokenizer reads a byte at a time
// through an io.Reader into a buffer it grows, and allocates for every
// attribute of every tag (to drop repeated ones); a page is mostly text
// no rule reads, between tags most of which are only counted. Here text
// is skipped with bytes.IndexByte, a tag's attributes are spans of the
// page until a rule asks for them, and nothing is allocated but the
// attributes the rules read.
//
// fastTokens follows the Tokenizer's code (token.go: Next, readTag,
// readTagAttrKey, readTagAttrVal, readRawOrRCDATA, readComment,
// readMarkupDeclaration) state for state, and gives up (unsure), for
// the Tokenizer to read the page instead, where following it would take
// more than the pages a build writes need: a NUL byte anywhere, input
// ending inside a tag, comment or declaration, a script holding "<!--"
// (the script-escape states), <plaintext>, and an attribute value with
// a character reference the quoting of which it cannot reproduce. The
// test holds its tokens to the Tokenizer's on every fixture and fuzzed
// input.

import (
	"bytes"
	"errors"
	"io"

	"golang.org/x/net/html"
)

// errUnsure is fastTokens' error when it gives the page up.
var errUnsure = errors.New("audit: page left to the tokenizer")

// span is a range of the page's bytes.
type span struct{ start, end int }

type attrSpan struct{ key, val span }

// fastTokens reads a page's tokens in place.
type fastTokens struct {
	data     []byte
	pos      int // the next byte to read
	tt       html.TokenType
	name     span
	tagStart int // where the current tag starts
	text     span
	textRaw  bool       // the text is raw text: no character references
	rawTag   string     // the raw-text element whose text comes next
	attr     []attrSpan // the tag's attributes, repeats dropped
	unsure   bool       // given up: the Tokenizer must read the page
	buf      []byte     // the lower-cased tag name
	textBuf  []byte     // text with its newlines converted
}

// reset starts reading data, reusing t's buffers.
func (z *fastTokens) reset(data []byte) {
	*z = fastTokens{data: data, attr: z.attr[:0], buf: z.buf[:0], textBuf: z.textBuf[:0]}
	if bytes.IndexByte(data, 0) >= 0 {
		z.unsure = true // the Tokenizer replaces NULs, differently by place
	}
}

func (z *fastTokens) Err() error {
	if z.unsure {
		return errUnsure
	}
	return io.EOF
}

// giveUp ends the tokens: the Tokenizer is to read the page.
func (z *fastTokens) giveUp() html.TokenType {
	z.unsure = true
	z.tt = html.ErrorToken
	return z.tt
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func (z *fastTokens) Next() html.TokenType {
	if z.unsure {
		return z.giveUp()
	}
	z.attr = z.attr[:0]
	if z.rawTag != "" {
		tag := z.rawTag
		z.rawTag = ""
		if tag == "plaintext" {
			return z.giveUp()
		}
		end := z.rawEnd(tag)
		if tag == "script" && bytes.Contains(z.data[z.pos:end], []byte("<!--")) {
			return z.giveUp() // the script-escape states
		}
		if end > z.pos {
			z.text, z.textRaw, z.pos = span{z.pos, end}, tag != "textarea" && tag != "title", end
			z.tt = html.TextToken
			return z.tt
		}
	}
	z.textRaw = false
	start := z.pos
	for {
		i := bytes.IndexByte(z.data[z.pos:], '<')
		if i < 0 || z.pos+i+1 >= len(z.data) {
			z.pos = len(z.data) // a '<' last is text
			break
		}
		lt := z.pos + i
		c := z.data[lt+1]
		if !isLetter(c) && c != '/' && c != '!' && c != '?' {
			z.pos = lt + 1 // text: the next byte is read again
			continue
		}
		if lt > start {
			z.text, z.pos = span{start, lt}, lt
			z.tt = html.TextToken
			return z.tt
		}
		z.pos, z.tagStart = lt+2, lt
		switch {
		case isLetter(c):
			return z.startTag()
		case c == '/':
			return z.endTag()
		case c == '!':
			return z.markupDeclaration()
		}
		z.pos-- // "<?": a bogus comment from the '?'
		return z.untilCloseAngle(html.CommentToken)
	}
	if z.pos > start {
		z.text = span{start, z.pos}
		z.tt = html.TextToken
		return z.tt
	}
	z.tt = html.ErrorToken
	return z.tt
}

// rawEnd is where the raw text from z.pos ends: at the first "</tag"
// (in either case) followed by a space, '/' or '>', else at the end.
func (z *fastTokens) rawEnd(tag string) int {
	for from := z.pos; ; {
		i := bytes.Index(z.data[from:], []byte("</"))
		if i < 0 {
			return len(z.data)
		}
		at := from + i
		j, k := at+2, 0
		for ; k < len(tag) && j < len(z.data); j, k = j+1, k+1 {
			if c := z.data[j]; c != tag[k] && c != tag[k]-('a'-'A') {
				break
			}
		}
		if k == len(tag) && j < len(z.data) {
			switch z.data[j] {
			case ' ', '\n', '\r', '\t', '\f', '/', '>':
				return at
			}
		}
		from = at + 2
	}
}

// rawTags are the elements whose content the Tokenizer reads as raw
// text (or RCDATA), by the length of their name.
var rawTags = []string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"}

// startTag reads a start tag whose name's first letter is at z.pos-1.
func (z *fastTokens) startTag() html.TokenType {
	z.pos--
	if !z.readTag(true) {
		return z.giveUp()
	}
	name := z.data[z.name.start:z.name.end]
	for _, r := range rawTags {
		if asciiEqualFold(name, r) {
			z.rawTag = r
			break
		}
	}
	z.tt = html.StartTagToken
	if n := len(z.attr); z.data[z.pos-2] == '/' && (n == 0 || z.pos-2 != z.attr[n-1].val.end-1) {
		z.tt = html.SelfClosingTagToken
	}
	return z.tt
}

// endTag reads what follows "</".
func (z *fastTokens) endTag() html.TokenType {
	if z.pos >= len(z.data) {
		return z.giveUp()
	}
	switch c := z.data[z.pos]; {
	case c == '>':
		z.pos++ // "</>" is no token: the Tokenizer gives an empty comment
		z.tt = html.CommentToken
		return z.tt
	case isLetter(c):
		if !z.readTag(false) {
			return z.giveUp()
		}
		z.tt = html.EndTagToken
		return z.tt
	}
	return z.untilCloseAngle(html.CommentToken)
}

// markupDeclaration reads what follows "<!": a comment, a doctype or a
// bogus comment (CDATA is not allowed outside foreign content).
func (z *fastTokens) markupDeclaration() html.TokenType {
	if z.pos+2 > len(z.data) {
		return z.giveUp()
	}
	if z.data[z.pos] == '-' && z.data[z.pos+1] == '-' {
		z.pos += 2
		return z.comment()
	}
	const doctype = "DOCTYPE"
	if z.pos+len(doctype) > len(z.data) {
		return z.giveUp()
	}
	for i := range len(doctype) {
		if c := z.data[z.pos+i]; c != doctype[i] && c != doctype[i]+('a'-'A') {
			return z.untilCloseAngle(html.CommentToken)
		}
	}
	z.pos += len(doctype)
	if !z.skipSpace() {
		return z.giveUp()
	}
	return z.untilCloseAngle(html.DoctypeToken)
}

// comment reads a comment's text and end, "<!--" read.
func (z *fastTokens) comment() html.TokenType {
	dashes, beginning := 0, true
	for z.pos < len(z.data) {
		c := z.data[z.pos]
		z.pos++
		switch c {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				z.tt = html.CommentToken
				return z.tt
			}
		case '!':
			if dashes >= 2 {
				if z.pos >= len(z.data) {
					return z.giveUp()
				}
				c = z.data[z.pos]
				z.pos++
				if c == '>' {
					z.tt = html.CommentToken
					return z.tt
				} else if c == '-' {
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return z.giveUp()
}

// untilCloseAngle reads up to and past the next '>', a token of type tt.
func (z *fastTokens) untilCloseAngle(tt html.TokenType) html.TokenType {
	i := bytes.IndexByte(z.data[z.pos:], '>')
	if i < 0 {
		return z.giveUp()
	}
	z.pos += i + 1
	z.tt = tt
	return tt
}

// skipSpace skips white space, reporting false at the end of the page.
func (z *fastTokens) skipSpace() bool {
	for z.pos < len(z.data) {
		if !isSpace(z.data[z.pos]) {
			return true
		}
		z.pos++
	}
	return false
}

// readTag reads a tag's name, at z.pos, and its attributes (kept when
// save), up to and past its '>'; false at the end of the page.
func (z *fastTokens) readTag(save bool) bool {
	z.attr = z.attr[:0]
	z.name.start = z.pos
	for z.pos++; ; z.pos++ {
		if z.pos >= len(z.data) {
			return false
		}
		c := z.data[z.pos]
		if isSpace(c) {
			z.name.end = z.pos
			z.pos++
			break
		}
		if c == '/' || c == '>' {
			z.name.end = z.pos
			break
		}
	}
	if !z.skipSpace() {
		return false
	}
	for {
		if z.data[z.pos] == '>' {
			z.pos++
			return true
		}
		var a attrSpan
		if !z.readAttrKey(&a.key) || !z.readAttrVal(&a.val) {
			return false
		}
		if save && a.key.start != a.key.end && !z.seen(a.key) {
			z.attr = append(z.attr, a)
		}
		if !z.skipSpace() {
			return false
		}
	}
}

// seen reports whether the tag has an attribute of key's name already:
// the Tokenizer keeps the first.
func (z *fastTokens) seen(key span) bool {
	k := z.data[key.start:key.end]
	for _, a := range z.attr {
		if asciiEqualFoldBytes(z.data[a.key.start:a.key.end], k) {
			return true
		}
	}
	return false
}

func (z *fastTokens) readAttrKey(key *span) bool {
	key.start = z.pos
	for ; z.pos < len(z.data); z.pos++ {
		switch z.data[z.pos] {
		case '=':
			if z.pos == key.start {
				continue // an '=' first is part of the name
			}
			key.end = z.pos
			return true
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			key.end = z.pos
			return true
		}
	}
	return false
}

func (z *fastTokens) readAttrVal(val *span) bool {
	*val = span{z.pos, z.pos}
	if !z.skipSpace() {
		return false
	}
	switch z.data[z.pos] {
	case '/':
		z.pos++
		return true
	case '=':
		z.pos++
	default:
		return true
	}
	if !z.skipSpace() {
		return false
	}
	switch q := z.data[z.pos]; q {
	case '>':
		return true
	case '"', '\'':
		i := bytes.IndexByte(z.data[z.pos+1:], q)
		if i < 0 {
			return false
		}
		*val = span{z.pos + 1, z.pos + 1 + i}
		z.pos += i + 2
		return true
	}
	val.start = z.pos
	for z.pos++; z.pos < len(z.data); z.pos++ {
		c := z.data[z.pos]
		if isSpace(c) {
			val.end = z.pos
			z.pos++
			return true
		}
		if c == '>' {
			val.end = z.pos
			return true
		}
	}
	return false
}
