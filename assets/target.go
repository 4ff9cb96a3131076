package assets

import (
	"fmt"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// DefaultTarget is what bundles are compiled for when Options.Target is nil:
// browsers with native ES modules and the syntax most sites use, so that
// little needs lowering.
var DefaultTarget = []string{"es2020", "chrome100", "firefox100", "safari15"}

var esTargets = map[string]api.Target{
	"esnext": api.ESNext, "es5": api.ES5, "es6": api.ES2015, "es2015": api.ES2015,
	"es2016": api.ES2016, "es2017": api.ES2017, "es2018": api.ES2018,
	"es2019": api.ES2019, "es2020": api.ES2020, "es2021": api.ES2021,
	"es2022": api.ES2022, "es2023": api.ES2023, "es2024": api.ES2024,
	"es2025": api.ES2025,
}

var engines = map[string]api.EngineName{
	"chrome": api.EngineChrome, "deno": api.EngineDeno, "edge": api.EngineEdge,
	"firefox": api.EngineFirefox, "hermes": api.EngineHermes, "ie": api.EngineIE,
	"ios": api.EngineIOS, "node": api.EngineNode, "opera": api.EngineOpera,
	"rhino": api.EngineRhino, "safari": api.EngineSafari,
}

// parseTargets turns the command-line style targets the site config uses
// ("es2020", "chrome100", "safari15.4") into the Go API's split form, since
// pkg/api has no parser for them.
func parseTargets(targets []string) (api.Target, []api.Engine, error) {
	target := api.DefaultTarget
	var engs []api.Engine
	for _, raw := range targets {
		t := strings.ToLower(strings.TrimSpace(raw))
		if es, ok := esTargets[t]; ok {
			if target != api.DefaultTarget {
				return 0, nil, fmt.Errorf("more than one ECMAScript target (%q)", raw)
			}
			target = es
			continue
		}
		i := strings.IndexAny(t, "0123456789")
		if i <= 0 {
			return 0, nil, fmt.Errorf("unknown build target %q", raw)
		}
		name, ok := engines[t[:i]]
		if !ok || strings.Trim(t[i:], "0123456789.") != "" {
			return 0, nil, fmt.Errorf("unknown build target %q", raw)
		}
		engs = append(engs, api.Engine{Name: name, Version: t[i:]})
	}
	return target, engs, nil
}
