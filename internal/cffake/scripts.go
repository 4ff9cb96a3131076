package cffake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// script is a Worker: its versions (oldest first) and deployments
// (oldest first; the last one serves traffic).
type script struct {
	versions    []*version
	deployments []*deployment
}

// version is an immutable snapshot of a Worker: assets, config, code.
type version struct {
	ID          string
	Number      int
	Created     time.Time
	Annotations map[string]string
	Assets      map[string]AssetEntry
	Config      AssetsConfig
	MainModule  string // "" for an assets-only Worker
	Modules     map[string]string
	Bindings    []map[string]any
	headers     []headerRule
}

type deployment struct {
	ID       string
	Created  time.Time
	Versions []deployedVersion
}

type deployedVersion struct {
	VersionID  string  `json:"version_id"`
	Percentage float64 `json:"percentage"`
}

// AssetsConfig is the assets config a script upload carries.
type AssetsConfig struct {
	HTMLHandling     string   `json:"html_handling"`
	NotFoundHandling string   `json:"not_found_handling"`
	Headers          string   `json:"_headers"`
	Redirects        string   `json:"_redirects"`
	RunWorkerFirst   []string `json:"run_worker_first"`
}

// scriptMetadata is the metadata part of a script upload.
type scriptMetadata struct {
	MainModule        string `json:"main_module"`
	CompatibilityDate string `json:"compatibility_date"`
	Assets            *struct {
		JWT    string       `json:"jwt"`
		Config AssetsConfig `json:"config"`
	} `json:"assets"`
	Bindings    []map[string]any  `json:"bindings"`
	Annotations map[string]string `json:"annotations"`
}

// putScript uploads a Worker: one "metadata" part holding the JSON
// metadata, and a part per module. It makes a version and deploys it to
// all traffic at once.
func (s *Server) putScript(w http.ResponseWriter, r *http.Request) {
	var meta *scriptMetadata
	modules := map[string]string{}
	if !eachPart(w, r, func(part *multipart.Part) string {
		data, _ := io.ReadAll(part)
		name := part.FormName()
		switch {
		case name == "metadata":
			meta = new(scriptMetadata)
			if err := json.Unmarshal(data, meta); err != nil {
				return "metadata part is not JSON: " + err.Error()
			}
		case strings.HasPrefix(name, "metadata."), strings.HasPrefix(name, "metadata["):
			// What cloudflare-go v7's typed Update sends: the API wants one part.
			return fmt.Sprintf("form field %q: metadata must be one part holding JSON", name)
		default:
			if mt := part.Header.Get("Content-Type"); !strings.HasPrefix(mt, "application/javascript+module") {
				return fmt.Sprintf("module %q: Content-Type %q, want application/javascript+module", name, mt)
			}
			modules[name] = string(data)
		}
		return ""
	}) {
		return
	}
	if meta == nil {
		fail(w, http.StatusBadRequest, 10021, "no metadata part")
		return
	}
	v, msg := s.checkMetadata(meta, modules)
	if msg != "" {
		fail(w, http.StatusBadRequest, 10021, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scripts[r.PathValue("script")]
	if sc == nil {
		sc = &script{}
		s.scripts[r.PathValue("script")] = sc
	}
	if v.Assets == nil {
		c := s.completions[meta.Assets.JWT]
		if c == nil {
			fail(w, http.StatusBadRequest, 10021, "assets.jwt is not a completion token: finish the upload session first")
			return
		}
		v.Assets = c.manifest
	}
	v.ID = newUUID()
	v.Number = len(sc.versions) + 1
	v.Created = s.opts.Now().UTC()
	sc.versions = append(sc.versions, v)
	sc.deployments = append(sc.deployments, &deployment{ID: newUUID(), Created: v.Created,
		Versions: []deployedVersion{{VersionID: v.ID, Percentage: 100}}})
	// Cloudflare's answer names the new version as "deployment_id", in
	// the UUID's 32 hex digits without hyphens (wrangler reads it so).
	ok(w, http.StatusOK, map[string]any{
		"id": r.PathValue("script"), "deployment_id": strings.ReplaceAll(v.ID, "-", ""), "etag": v.ID, "has_assets": true, "has_modules": v.MainModule != "",
		"created_on": sc.versions[0].Created, "modified_on": v.Created, "startup_time_ms": 0,
	})
}

// checkMetadata validates a script's metadata and returns the version it
// describes (assets still to fill in from the completion token).
func (s *Server) checkMetadata(meta *scriptMetadata, modules map[string]string) (*version, string) {
	if meta.Assets == nil || meta.Assets.JWT == "" {
		return nil, "metadata.assets.jwt is required"
	}
	c := meta.Assets.Config
	if !slices.Contains([]string{"", "auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"}, c.HTMLHandling) {
		return nil, fmt.Sprintf("assets.config.html_handling %q is not a known mode", c.HTMLHandling)
	}
	if !slices.Contains([]string{"", "single-page-application", "404-page", "none"}, c.NotFoundHandling) {
		return nil, fmt.Sprintf("assets.config.not_found_handling %q is not a known mode", c.NotFoundHandling)
	}
	rules, err := parseHeaders(c.Headers)
	if err != nil {
		return nil, "_headers: " + err.Error()
	}
	if err := checkRedirects(c.Redirects); err != nil {
		return nil, "_redirects: " + err.Error()
	}
	if t := meta.Annotations["workers/tag"]; len(t) > 100 {
		return nil, fmt.Sprintf("annotations.workers/tag is %d bytes, the most is 100", len(t))
	}
	if meta.MainModule != "" {
		if _, ok := modules[meta.MainModule]; !ok {
			return nil, fmt.Sprintf("main_module %q has no part", meta.MainModule)
		}
		if meta.CompatibilityDate == "" {
			return nil, "a Worker with code needs a compatibility_date"
		}
	}
	return &version{Annotations: meta.Annotations, Config: c, MainModule: meta.MainModule, Modules: modules, Bindings: meta.Bindings, headers: rules}, ""
}

// checkRedirects enforces Cloudflare's limits: 2,000 static rules and 100
// dynamic ones (with a splat or placeholder), 1,000 characters a rule.
func checkRedirects(text string) error {
	static, dynamic := 0, 0
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > 1000 {
			return fmt.Errorf("line %d is over 1,000 characters", i+1)
		}
		if f := strings.Fields(line); len(f) < 2 {
			return fmt.Errorf("line %d: want \"FROM TO [STATUS]\"", i+1)
		}
		if strings.ContainsAny(line, "*:") {
			dynamic++
		} else {
			static++
		}
	}
	if static > 2000 || dynamic > 100 {
		return fmt.Errorf("%d static and %d dynamic rules: the most is 2,000 and 100", static, dynamic)
	}
	return nil
}

// listVersions answers the script's versions, newest first, a page at a time.
func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.script(w, r)
	if sc == nil {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	page, per = max(page, 1), min(max(per, 1), 100)
	if r.URL.Query().Get("per_page") == "" {
		per = 10
	}
	all := slices.Clone(sc.versions)
	slices.Reverse(all)
	items := []map[string]any{}
	for i := (page - 1) * per; i < min(page*per, len(all)); i++ {
		v := all[i]
		items = append(items, map[string]any{
			"id": v.ID, "number": v.Number, "annotations": v.Annotations,
			"metadata": map[string]any{"created_on": v.Created.Format(time.RFC3339Nano), "modified_on": v.Created.Format(time.RFC3339Nano), "source": "api"},
		})
	}
	reply(w, http.StatusOK, envelope{Success: true, Result: map[string]any{"items": items},
		ResultInfo: &resultInfo{Page: page, PerPage: per, Count: len(items), TotalCount: len(all)}})
}

// listDeployments answers the script's deployments, the live one first.
func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.script(w, r)
	if sc == nil {
		return
	}
	list := []map[string]any{}
	for i := len(sc.deployments) - 1; i >= 0; i-- {
		d := sc.deployments[i]
		list = append(list, map[string]any{"id": d.ID, "created_on": d.Created, "source": "api",
			"strategy": "percentage", "versions": d.Versions})
	}
	ok(w, http.StatusOK, map[string]any{"deployments": list})
}

// newDeployment points traffic at versions of the script: the percentages
// must add up to 100 and name versions it has.
func (s *Server) newDeployment(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Strategy string            `json:"strategy"`
		Versions []deployedVersion `json:"versions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, 10021, "body is not JSON: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.script(w, r)
	if sc == nil {
		return
	}
	total := 0.0
	for _, dv := range body.Versions {
		if !slices.ContainsFunc(sc.versions, func(v *version) bool { return v.ID == dv.VersionID }) {
			fail(w, http.StatusBadRequest, 10218, fmt.Sprintf("version %q does not exist", dv.VersionID))
			return
		}
		total += dv.Percentage
	}
	if body.Strategy != "percentage" || len(body.Versions) == 0 || len(body.Versions) > 2 || total != 100 {
		fail(w, http.StatusBadRequest, 10021, "want strategy \"percentage\" and one or two versions adding up to 100%")
		return
	}
	newest := sc.versions[len(sc.versions)-1].ID
	if s.opts.SecretsChanged && r.URL.Query().Get("force") != "true" && slices.ContainsFunc(body.Versions, func(v deployedVersion) bool { return v.VersionID != newest }) {
		fail(w, http.StatusBadRequest, 10220, "the Worker's secrets changed since this version: deploy with force=true to confirm")
		return
	}
	d := &deployment{ID: newUUID(), Created: s.opts.Now().UTC(), Versions: body.Versions}
	sc.deployments = append(sc.deployments, d)
	ok(w, http.StatusOK, map[string]any{"id": d.ID, "created_on": d.Created, "source": "api", "strategy": "percentage", "versions": d.Versions})
}

// live is the version serving all traffic of the script, or nil.
func (s *Server) live(name string) *version {
	sc := s.scripts[name]
	if sc == nil || len(sc.deployments) == 0 {
		return nil
	}
	d := sc.deployments[len(sc.deployments)-1]
	for _, v := range sc.versions {
		if v.ID == d.Versions[0].VersionID {
			return v
		}
	}
	return nil
}

// LiveScript describes the version live on the named Worker: its assets
// config, its main module ("" for an assets-only Worker), the modules'
// code, and its bindings; ok is false when nothing is deployed.
func (s *Server) LiveScript(name string) (cfg AssetsConfig, main string, modules map[string]string, bindings []map[string]any, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.live(name)
	if v == nil {
		return AssetsConfig{}, "", nil, nil, false
	}
	return v.Config, v.MainModule, v.Modules, v.Bindings, true
}

// script is the Worker the request names, or nil after answering 404.
// The caller holds s.mu.
func (s *Server) script(w http.ResponseWriter, r *http.Request) *script {
	sc := s.scripts[r.PathValue("script")]
	if sc == nil {
		fail(w, http.StatusNotFound, 10007, "This Worker does not exist on your account.")
	}
	return sc
}

// VersionTags lists the workers/tag annotation of each version of the
// named Worker, oldest first: a test counts versions, and duplicates.
func (s *Server) VersionTags(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if sc := s.scripts[name]; sc != nil {
		for _, v := range sc.versions {
			out = append(out, v.Annotations["workers/tag"])
		}
	}
	return out
}
