package assets

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// fileLoaders make esbuild copy fonts, images and media referenced from CSS
// url() or imported from JS to media/NAME-HASH.EXT and rewrite the
// reference to that URL.
var fileLoaders = func() map[string]api.Loader {
	m := map[string]api.Loader{}
	for _, ext := range []string{
		".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".bmp", ".svg",
		".woff", ".woff2", ".ttf", ".otf", ".eot",
		".mp4", ".webm", ".ogg", ".mp3", ".wav", ".wasm", ".pdf",
	} {
		m[ext] = api.LoaderFile
	}
	return m
}()

// esbuildOptions is the one place esbuild is configured. Outdir and Outbase
// are both AssetsDir, so an output's path relative to AssetsDir is its URL
// below PublicPath ([dir] is the entry's dir), and source maps name
// sources by their place under assets/. Nothing is written there.
func (b *Builder) esbuildOptions(entries []string) api.BuildOptions {
	o := &b.opts
	eps := make([]string, len(entries))
	for i, e := range entries {
		eps[i] = filepath.Join(o.AssetsDir, filepath.FromSlash(e))
	}
	publicPath := o.PublicPath
	if publicPath == "" {
		publicPath = "/"
	}
	opts := api.BuildOptions{
		EntryPoints:   eps,
		Bundle:        true,
		Write:         false,
		Metafile:      true,
		AbsWorkingDir: o.Root,
		Outdir:        o.AssetsDir,
		Outbase:       o.AssetsDir,
		EntryNames:    "[dir]/[name]-[hash]",
		AssetNames:    "media/[name]-[hash]",
		ChunkNames:    "chunks/[name]-[hash]",
		PublicPath:    publicPath,
		Platform:      api.PlatformBrowser,
		// ES modules: pages load them with <script type="module">, deferred
		// by default; an entry may export, and import absolute URL paths.
		Format:            api.FormatESModule,
		Target:            b.target,
		Engines:           b.engines,
		MinifyWhitespace:  o.Minify,
		MinifyIdentifiers: o.Minify,
		MinifySyntax:      o.Minify,
		Charset:           api.CharsetUTF8,
		Loader:            fileLoaders,
		LogLevel:          api.LogLevelSilent, // we report; esbuild must not print
		LogOverride:       logOverrides(),
		Plugins:           []api.Plugin{externalURLPaths, cssCheck(o.Root)},
	}
	if o.StableNames {
		opts.EntryNames = "[dir]/[name]"
	}
	if o.Minify {
		opts.LegalComments = api.LegalCommentsNone
	}
	if o.Sourcemap {
		opts.Sourcemap = api.SourceMapLinked
	}
	return opts
}

// externalURLPaths leaves imports of absolute URL paths alone
// (url(/static/x.png) in CSS, import "/vendor/x.js"): they name files the
// site serves, not files on disk. esbuild's External: ["/*"] would not do,
// because it also matches resolved absolute file paths, which made every
// import external.
var externalURLPaths = api.Plugin{Name: "verge-external-url-paths", Setup: func(pb api.PluginBuild) {
	pb.OnResolve(api.OnResolveOptions{Filter: `^/`}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
		if a.Kind == api.ResolveEntryPoint {
			return api.OnResolveResult{}, nil // our own absolute entry paths
		}
		return api.OnResolveResult{Path: a.Path, External: true}, nil
	})
}}

// rebuild runs the context's build, cancelling it when ctx is done.
func rebuild(ctx context.Context, bc api.BuildContext) api.BuildResult {
	done := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		select {
		case <-ctx.Done():
			bc.Cancel()
		case <-done:
		}
	})
	res := bc.Rebuild()
	close(done)
	watcher.Wait() // no Cancel may reach a context the caller disposes next
	return res
}

// metafile is the part of esbuild's metafile we use; keys are paths
// relative to AbsWorkingDir (the site root).
type metafile struct {
	Inputs  map[string]struct{} `json:"inputs"`
	Outputs map[string]struct {
		EntryPoint string              `json:"entryPoint"`
		CSSBundle  string              `json:"cssBundle"`
		Inputs     map[string]struct{} `json:"inputs"`
	} `json:"outputs"`
}

// bundle is esbuild's output turned into Files.
type bundle struct {
	files     []*File
	byLogical map[string]*File // entry logical path -> its bundle
	cssBundle map[string]*File // JS entry logical path -> its CSS
	media     map[string]*File // absolute input -> media output copying it
	inputs    []string         // absolute paths esbuild read
}

// merge adds o's outputs to bun. Two entry groups may emit the same
// media file (an image both stylesheets use); seen keeps it once.
func (bun *bundle) merge(o *bundle, seen map[string]bool) {
	for _, f := range o.files {
		if !seen[f.Path] {
			seen[f.Path] = true
			bun.files = append(bun.files, f)
		}
	}
	maps.Copy(bun.byLogical, o.byLogical)
	maps.Copy(bun.cssBundle, o.cssBundle)
	for in, f := range o.media {
		if bun.media[in] == nil {
			bun.media[in] = f
		}
	}
	bun.inputs = append(bun.inputs, o.inputs...)
}

// collect maps esbuild's outputs to URL paths and, through the metafile,
// to the entry points and inputs they came from. Integrity is left for
// later, so that a media file that is also an asset is hashed once.
func (b *Builder) collect(res api.BuildResult) (*bundle, error) {
	var meta metafile
	if err := json.Unmarshal([]byte(res.Metafile), &meta); err != nil {
		return nil, err
	}
	o := &b.opts
	out := &bundle{byLogical: map[string]*File{}, cssBundle: map[string]*File{}, media: map[string]*File{}}
	byKey := make(map[string]*File, len(res.OutputFiles))
	for _, of := range res.OutputFiles {
		rel, err := filepath.Rel(o.AssetsDir, of.Path)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		f := &File{
			Path:          o.PublicPath + "/" + rel,
			Data:          of.Contents,
			Fingerprinted: !strings.HasSuffix(rel, ".map"),
			ContentType:   ContentType(rel),
		}
		out.files = append(out.files, f)
		byKey[b.metaKey(of.Path)] = f
	}
	for key, m := range meta.Outputs {
		f := byKey[key]
		if f == nil {
			continue
		}
		if m.EntryPoint != "" {
			logical := b.logical(m.EntryPoint)
			f.Source = logical
			out.byLogical[logical] = f
			if css := byKey[m.CSSBundle]; css != nil {
				out.cssBundle[logical] = css
			}
		} else if len(m.Inputs) == 1 && strings.HasPrefix(f.Path, o.PublicPath+"/media/") {
			for in := range m.Inputs {
				out.media[b.absInput(in)] = f
			}
		}
	}
	for in := range meta.Inputs {
		if abs := b.absInput(in); abs != "" {
			out.inputs = append(out.inputs, abs)
		}
	}
	return out, nil
}

// metaKey is how the metafile names an absolute output path.
func (b *Builder) metaKey(abs string) string {
	rel, err := filepath.Rel(b.opts.Root, abs)
	if err != nil {
		return abs
	}
	return filepath.ToSlash(rel)
}

// absInput resolves a metafile input to an absolute path; "" for inputs in
// esbuild's virtual namespaces ("(disabled):...", "data:..."), which are not
// files anyone can edit.
func (b *Builder) absInput(key string) string {
	if i := strings.IndexByte(key, ':'); i > 0 && !filepath.IsAbs(key) && !strings.ContainsAny(key[:i], `/\`) {
		return ""
	}
	if filepath.IsAbs(key) {
		return filepath.Clean(key)
	}
	return filepath.Join(b.opts.Root, filepath.FromSlash(key))
}

// logical turns a metafile entry point into its path relative to AssetsDir.
func (b *Builder) logical(key string) string {
	rel, err := filepath.Rel(b.opts.AssetsDir, b.absInput(key))
	if err != nil {
		return key
	}
	return filepath.ToSlash(rel)
}
