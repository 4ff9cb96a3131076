package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/gosite"
)

func newBuildCmd() *cobra.Command {
	var out, minGrade string
	var explain []string
	var force, asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Build the site in DIR (default .) into its output directory (default DIR/dist)",
		Long: `Build generates the site's templ code, compiles the site program (reusing the
last binary when no Go or templ source changed) and runs its build: every page
rendered in parallel, assets bundled and fingerprinted, dist/ and its manifest
written. Pages whose dependencies did not change since the last build are kept,
not re-rendered. The summary gives the site's grade against the YSlow rules
(see verge audit); --min-grade, or [build] min_grade, fails a build with a page
below it. On any error the previous dist/ is left untouched.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			siteArgs := []string{"build"}
			if out != "" {
				siteArgs = append(siteArgs, "--out", absOr(out))
			}
			if force {
				siteArgs = append(siteArgs, "--force")
			}
			if asJSON {
				siteArgs = append(siteArgs, "--json")
			}
			if quiet {
				siteArgs = append(siteArgs, "--quiet")
			}
			if minGrade != "" {
				siteArgs = append(siteArgs, "--min-grade", minGrade)
			}
			for _, r := range explain {
				siteArgs = append(siteArgs, "--explain", r)
			}
			return runSite(cmd, dir, siteArgs, !asJSON && !quiet)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output directory (default: output_dir of verge.toml, else DIR/dist)")
	cmd.Flags().BoolVar(&force, "force", false, "re-render every page, ignoring the previous build")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build report as JSON")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors (and skip grading the pages, unless --min-grade)")
	cmd.Flags().StringArrayVar(&explain, "explain", nil, "explain what the page at ROUTE (e.g. /posts/a/) read and why it was rendered again or kept (repeatable)")
	cmd.Flags().StringVar(&minGrade, "min-grade", "", "fail, keeping the previous output, when a page grades below this (A to F; default: [build] min_grade of verge.toml)")
	return cmd
}

// runSite compiles the site in dir and runs its program with args, passing
// its output through. The program's exit status becomes verge's.
func runSite(cmd *cobra.Command, dir string, args []string, chatty bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
		if _, err := os.Stat(filepath.Join(abs, "main.go")); err != nil {
			return fmt.Errorf("%s is not a Verge site: it has no main.go (create one with `verge new %s`)", dir, dir)
		}
	}
	cache, err := gosite.CacheDir(abs)
	if err != nil {
		return err
	}
	start := time.Now()
	bin, written, err := gosite.Build(cmd.Context(), abs, cache)
	if err != nil {
		printDiagnostics(cmd.ErrOrStderr(), "compile", err)
		return exitError{code: 1}
	}
	if chatty && (written > 0 || time.Since(start) > 500*time.Millisecond) {
		fmt.Fprintf(cmd.ErrOrStderr(), "compiled site program in %s (%d templ files generated)\n", time.Since(start).Round(time.Millisecond), written)
	}
	// Ctrl-C or SIGTERM interrupts it. It runs in a process group of its
	// own, in the background of a terminal, so it gets no stdin.
	run := gosite.Command(cmd.Context(), abs, bin, args...)
	run.Stdout, run.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := childproc.Run(run); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return exitError{code: ee.ExitCode()}
		}
		return err
	}
	return nil
}

// printDiagnostics prints a stage's errors, all of them, one per line.
func printDiagnostics(w io.Writer, stage string, err error) {
	var l *diag.List
	if errors.As(err, &l) {
		fmt.Fprintf(w, "%s failed, %s\nThe previous output was left as it was.\n", stage, l.Error())
		return
	}
	fmt.Fprintf(w, "%s failed: %v\n", stage, err)
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
