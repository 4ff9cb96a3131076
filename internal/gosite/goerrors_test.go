package gosite

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestBuildErrorsParsing(t *testing.T) {
	root := filepath.FromSlash("/home/me/site")
	tests := []struct {
		name string
		out  string
		want []wantDiag
	}{{
		name: "compile errors",
		out: "# example.com/site\n./main.go:6:2: declared and not used: x\n" +
			"./main.go:7:11: too many arguments in call to sub.F\n\thave (number, number)\n\twant (string)\n" +
			"# example.com/site/sub\nsub/sub.go:3:20: undefined: y\ntoo many errors\n",
		want: []wantDiag{
			{file: "main.go", line: 6, col: 2, msg: "declared and not used: x"},
			{file: "main.go", line: 7, col: 11, msg: "too many arguments in call to sub.F\n\thave (number, number)\n\twant (string)"},
			{file: "sub/sub.go", line: 3, col: 20, msg: "undefined: y"},
		},
	}, {
		name: "outside the site, absolute and without a column",
		out:  "/home/me/verge/site/x.go:12: something\n/home/me/site/a b/c.go:1:2: spaces\n",
		want: []wantDiag{
			{file: "../verge/site/x.go", line: 12, msg: "something"},
			{file: "a b/c.go", line: 1, col: 2, msg: "spaces"},
		},
	}, {
		name: "module error with a fix",
		out:  "go: downloading example.com/x v1.0.0\nmain.go:3:8: no required module provides package example.com/y; to add it:\n\tgo get example.com/y\n",
		want: []wantDiag{{file: "main.go", line: 3, col: 8, msg: "no required module provides package example.com/y", hint: "run `go get example.com/y` in the site directory"}},
	}, {
		name: "go.mod parse error",
		out:  "go: errors parsing go.mod:\n/home/me/site/go.mod:5: unknown directive: bogus\n",
		want: []wantDiag{{file: "go.mod", line: 5, msg: "unknown directive: bogus"}},
	}, {
		name: "unlocated module error",
		out:  "go: updates to go.mod needed; to update it:\n\tgo mod tidy\n",
		want: []wantDiag{{file: "go.mod", msg: "go: updates to go.mod needed; to update it:\n\tgo mod tidy", hint: "go mod tidy"}},
	}, {
		name: "linker error",
		out:  "# example.com/site\nlink: duplicated definition of symbol main.x\n",
		want: []wantDiag{{msg: "link: duplicated definition"}},
	}, {
		name: "no output",
		out:  "",
		want: []wantDiag{{msg: "go build: exit status 1"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDiags(t, buildErrors(root, []byte(tt.out), errors.New("exit status 1")), tt.want)
		})
	}
}
