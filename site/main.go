package site

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/gcpace"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/internal/protocol"
)

// Main runs the site program's command line: `go run . build` (or the
// verge CLI, which compiles the site and runs it the same way). It exits
// the process with status 1 on failure. SIGINT and SIGTERM stop it
// gracefully: a build removes its temporary output, an origin or dev
// server finishes the requests in flight.
func Main(s *Site) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, s, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run is Main without the process: it runs one command and returns the
// exit status.
func Run(ctx context.Context, s *Site, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"build"}
	}
	switch args[0] {
	case "build":
		return runBuild(ctx, s, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, s, args[1:], stdout, stderr)
	case "origin":
		return runOrigin(ctx, s, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, "usage: go run . build [flags]   build into dist/ (build -h lists the flags)")
		fmt.Fprintln(stdout, "       go run . serve [--port N] serve from memory with live reload")
		fmt.Fprintln(stdout, "       go run . origin [--listen ADDR]  serve the API functions alone")
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q (this site program knows: build, serve, origin)\n", args[0])
		return 2
	}
}

func runBuild(ctx context.Context, s *Site, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output directory (default: output_dir from verge.toml, else dist)")
	force := fs.Bool("force", false, "re-render every page, ignoring the previous build")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	minGrade := fs.String("min-grade", "", "fail when a page grades below this (A to F; default: [build] min_grade)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the build to this file")
	var explain []string
	fs.Func("explain", "explain what the page at this route read and why it was rendered (repeatable)", func(r string) error {
		explain = append(explain, r)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// A build is short and allocation-heavy: collect half as often as
	// the runtime would while the heap is small, a third less often once
	// it is large.
	gcpace.Build(200, 150, 256<<20)
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer stop()
	}
	isTerm := false
	if f, ok := stderr.(*os.File); ok {
		isTerm = term.IsTerminal(int(f.Fd()))
	}
	var prog io.Writer
	if !*asJSON && !*quiet {
		prog = stderr
	}
	if *minGrade != "" && !audit.ValidGrade(*minGrade) {
		fmt.Fprintf(stderr, "--min-grade %q is not a grade: give one of A, B, C, D, E, F\n", *minGrade)
		return 2
	}
	if *minGrade == "" && s.cfgErr == nil {
		*minGrade = s.cfg.Build.MinGrade // checked by LoadConfig
	}
	start := time.Now()
	// The summary shows the site's grade; a quiet build skips grading
	// unless a minimum asks for it.
	rep, err := s.Build(ctx, BuildOptions{OutDir: *out, Force: *force, BuildKey: os.Getenv(protocol.EnvBuildKey), Progress: prog, Terminal: isTerm,
		Audit: !*quiet, MinGrade: *minGrade, Explain: explain})
	if err != nil {
		printBuildError(stderr, err)
		return 1
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(jsonReport(rep, time.Since(start)))
	case !*quiet:
		printReport(stdout, rep, time.Since(start))
	}
	return 0
}

func runServe(ctx context.Context, s *Site, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", protocol.DefaultPort, "port to listen on, on 127.0.0.1")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the session to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "serve:", err)
			return 1
		}
		defer stop()
	}
	key, _ := engine.ProgramKey(os.Getenv(protocol.EnvBuildKey))
	return devserver.Serve(ctx, devserver.Options{Site: s.engineSite(), Key: key, Port: *port, OutputDir: s.outputDir(),
		Functions: func(log *slog.Logger, current func() *engine.Build) devserver.Functions {
			return newFuncRuntime(s.funcs, log, current)
		}}, stdout, stderr)
}

func printBuildError(w io.Writer, err error) {
	var l *diag.List
	var d *diag.Diagnostic
	switch {
	case errors.As(err, &l):
		fmt.Fprintf(w, "build failed, %s\nThe previous output was left as it was.\n", l.Error())
	case errors.As(err, &d):
		fmt.Fprintf(w, "build failed: %s\n", d.Error())
	default:
		fmt.Fprintf(w, "build failed: %v\n", err)
	}
}

func printReport(w io.Writer, r *Report, total time.Duration) {
	state := fmt.Sprintf("%d rendered, %d unchanged", r.Rendered, r.Reused)
	if r.Unchanged {
		state += "; output already up to date"
	}
	fmt.Fprintf(w, "built %s\n", r.OutDir)
	fmt.Fprintf(w, "  pages   %6d  (%s)\n", r.Pages, state)
	fmt.Fprintf(w, "  assets  %6d  fingerprinted, %d static\n", r.Assets, r.Static)
	fmt.Fprintf(w, "  bytes   %6s\n", human.Bytes(r.Bytes))
	if a := r.Audit; a != nil {
		var dist []string
		for _, g := range []string{"A", "B", "C", "D", "E", "F"} {
			if n := a.Grades[g]; n > 0 {
				dist = append(dist, fmt.Sprintf("%s %d", g, n))
			}
		}
		fmt.Fprintf(w, "  grade   %6s  (score %d; pages %s; verge audit for details)\n", a.Grade, a.Score, strings.Join(dist, ", "))
	}
	var phases []string
	for _, p := range r.Phases {
		phases = append(phases, fmt.Sprintf("%s %s", p.Name, p.Duration.Round(time.Millisecond)))
	}
	fmt.Fprintf(w, "  time    %6s  (%s)\n", total.Round(time.Millisecond), strings.Join(phases, ", "))
	for _, e := range r.Explained {
		fmt.Fprintf(w, "\n%s\n  %s\n", e.Route, e.Why)
		if len(e.Read) > 0 {
			fmt.Fprintf(w, "  read %d values:\n", len(e.Read))
		}
		for _, f := range e.Read {
			fmt.Fprintf(w, "    %-60s %s\n", f.Key, f.Version)
		}
	}
}

func jsonReport(r *Report, total time.Duration) map[string]any {
	phases := map[string]float64{}
	for _, p := range r.Phases {
		phases[p.Name] = p.Duration.Seconds()
	}
	out := map[string]any{
		"out": r.OutDir, "pages": r.Pages, "rendered": r.Rendered, "reused": r.Reused,
		"assets": r.Assets, "static": r.Static, "bytes": r.Bytes, "unchanged": r.Unchanged,
		"seconds": total.Seconds(), "phases": phases, "build_id": r.BuildID,
	}
	if a := r.Audit; a != nil {
		out["grade"], out["score"], out["grades"] = a.Grade, a.Score, a.Grades
	}
	if r.Explained != nil {
		out["explain"] = r.Explained
	}
	return out
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
