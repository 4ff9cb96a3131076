package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/audit"
	"github.com/vergehq/verge/internal/fsatomic"
)

func newAuditCmd() *cobra.Command {
	var dist, minGrade, htmlOut string
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "audit [DIR]",
		Short: "Grade every built page against the YSlow rules",
		Long: `Audit grades the build output of the site in DIR (default .), page by page,
with YSlow's 23 rules, weights and scoring, judged with the headers each file
is served with (the manifest): A from 90, B from 80, down to F. Thresholds are
updated where modern practice differs: brotli counts as compression,
fingerprinted files need a year and immutable, other static files 30 days.

It prints the site's grade, the grade distribution, the worst pages and what
holds each back (the element or URL, and what to do); --all lists every page;
--json prints the whole report; --html FILE writes it as a self-contained page
with charts of the scores per rule and per page. --min-grade G exits with
status 1 when a page grades below G.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if minGrade != "" && !audit.ValidGrade(minGrade) {
				return fmt.Errorf("--min-grade %q is not a grade: give one of A, B, C, D, E, F", minGrade)
			}
			out, err := deploySite(dirArg(args)).Output(dist)
			if err != nil {
				return err
			}
			s, err := audit.Open(out)
			if err != nil {
				return err
			}
			rep, err := s.Audit()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if htmlOut != "" {
				var buf bytes.Buffer
				if err := rep.WriteHTML(&buf, "Audit of "+filepath.Base(filepath.Dir(out))); err != nil {
					return err
				}
				if err := fsatomic.WriteFile(htmlOut, buf.Bytes()); err != nil {
					return fmt.Errorf("--html: %w", err)
				}
			}
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printAudit(w, rep, all)
			}
			if minGrade != "" {
				var below []string
				for _, p := range rep.Pages {
					if !audit.AtLeast(p.Grade, minGrade) {
						below = append(below, fmt.Sprintf("%s (%s %d)", p.Route, p.Grade, p.Score))
					}
				}
				if len(below) > 0 {
					cmd.SilenceUsage = true
					return fmt.Errorf("%d pages grade below %s: %s", len(below), minGrade, strings.Join(below[:min(10, len(below))], ", "))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dist, "dist", "", "the build output (default: output_dir of verge.toml, else DIR/dist)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&all, "all", false, "list every page, not only the worst")
	cmd.Flags().StringVar(&minGrade, "min-grade", "", "fail when a page grades below this (A to F)")
	cmd.Flags().StringVar(&htmlOut, "html", "", "also write the report as an HTML page to this file")
	return cmd
}

// printAudit prints the report as a person reads it: the site first,
// then pages, worst first, each with the rules that cost it points.
func printAudit(w io.Writer, rep *audit.Report, all bool) {
	fmt.Fprintf(w, "site: grade %s (%d), %d pages:", rep.Grade, rep.Score, len(rep.Pages))
	for _, g := range []string{"A", "B", "C", "D", "E", "F"} {
		if n := rep.Grades[g]; n > 0 {
			fmt.Fprintf(w, " %s %d", g, n)
		}
	}
	fmt.Fprintln(w)
	if hosts := rep.Hosts(); len(hosts) > 0 {
		fmt.Fprintln(w, "\nother hosts the pages load from (each a DNS lookup and a connection):")
		for _, h := range hosts {
			hint := ""
			if h.Preconnected < h.Pages {
				hint = fmt.Sprintf(`; add <link rel="preconnect" href="https://%s"> or serve it from the site`, h.Host)
			}
			fmt.Fprintf(w, "  %s  %d pages%s\n", h.Host, h.Pages, hint)
		}
	}
	pages := rep.Worst(5)
	if all {
		pages = rep.Worst(len(rep.Pages))
	}
	if len(pages) == 0 || pages[0].Score == 100 && !all {
		fmt.Fprintln(w, "every page scores 100")
		return
	}
	if !all {
		fmt.Fprintln(w, "\nworst pages:")
	}
	for _, p := range pages {
		fmt.Fprintf(w, "\n%-2s %3d  %s  (%d elements; YSlow scores from 900, Lighthouse warns from 800)\n", p.Grade, p.Score, p.Route, p.Elements)
		for _, r := range p.Rules {
			if r.Score == 100 && (r.Weight > 0 || len(r.Offenders) == 0) {
				continue
			}
			weight := fmt.Sprintf("weight %d", r.Weight)
			if r.Weight == 0 {
				weight = "not graded"
			}
			fmt.Fprintf(w, "   %3d  %-13s %s (%s)\n", r.Score, r.ID, r.Name, weight)
			for _, o := range r.Offenders {
				fmt.Fprintf(w, "          - %s\n            %s\n", o.What, o.Fix)
			}
		}
	}
}
