package audit

// This file holds where tokenScan takes a page's tokens from: read in
// place (fastTokens), or, for a page fastTokens gives up, from
// golang.org/x/net/html's Tokenizer.

import (
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokens are a page's tokens as tokenScan reads them: html.Tokenizer's
// methods, and the tag's attributes when the rules read them.
type tokens interface {
	Next() html.TokenType
	Err() error
	TagName() (name []byte, hasAttr bool)
	Text() []byte
	// attrs are the start tag's attributes (it has some), lower-cased
	// and unescaped as the Tokenizer gives them.
	attrs() []html.Attribute
	// style is the value of the start tag's style attribute (it has
	// attributes), as attrs would give it.
	style() ([]byte, bool)
}

// slowTokens are html.Tokenizer's tokens.
type slowTokens struct {
	z    *html.Tokenizer
	raws [][2][]byte // the current tag's attributes, as the tokenizer has them
}

func (z *slowTokens) Next() html.TokenType    { return z.z.Next() }
func (z *slowTokens) Err() error              { return z.z.Err() }
func (z *slowTokens) TagName() ([]byte, bool) { return z.z.TagName() }
func (z *slowTokens) Text() []byte            { return z.z.Text() }
func (z *slowTokens) attrs() []html.Attribute {
	z.raws = z.raws[:0]
	for more := true; more; {
		var k, v []byte
		k, v, more = z.z.TagAttr()
		z.raws = append(z.raws, [2][]byte{k, v})
	}
	attrs := make([]html.Attribute, len(z.raws))
	for i, kv := range z.raws {
		attrs[i] = html.Attribute{Key: atom.String(kv[0]), Val: string(kv[1])}
	}
	return attrs
}

func (z *slowTokens) style() ([]byte, bool) {
	for more := true; more; {
		var k, v []byte
		k, v, more = z.z.TagAttr()
		if string(k) == "style" {
			return v, true
		}
	}
	return nil, false
}
