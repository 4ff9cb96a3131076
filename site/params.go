package site

// This file holds an entry's front matter read key by key (Entry.Param):
// a page that shows one field of its siblings' front matter depends on
// that field, not on all of Meta.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/vergehq/verge/internal/engine"
)

// paramPrefix starts the fact of one front-matter key ("param:linkTitle").
const paramPrefix = "param:"

// Param is the front matter value at key as written (a string, number,
// bool, list or map; nil when absent), recorded as that value alone. Keys
// match as written, else ignoring case, as Hugo's .Params do. Meta is the
// typed view of the same front matter, recorded as one value.
func (e *Entry[T]) Param(key string) any {
	e.read(paramPrefix + key)
	return e.d.param(key)
}

// param looks key up in the front matter, decoded once.
func (e *entry[T]) param(key string) any {
	e.paramsOnce.Do(func() {
		m := map[string]any{}
		switch e.fmFormat {
		case '+':
			_ = toml.Unmarshal(e.fmRaw, &m)
		case '-':
			_ = yaml.Unmarshal(e.fmRaw, &m)
		}
		e.params = m
	})
	if v, ok := e.params[key]; ok {
		return v
	}
	for k, v := range e.params {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// paramVersion is the version of a front matter value: JSON sorts map
// keys, so equal values hash equal.
func paramVersion(v any) uint64 {
	data, err := json.Marshal(v)
	if err != nil {
		data = fmt.Appendf(nil, "%#v", v)
	}
	return engine.HashBytes(data)
}
