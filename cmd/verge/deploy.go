package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/human"
	"github.com/vergehq/verge/site"
)

// storeFlags are the flags of the commands that work on the local store.
type storeFlags struct {
	store string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.store, "store", "", "the local store (default: DIR/.verge/store)")
}

// open opens the store of the site in dir.
func (f *storeFlags) open(dir string) (*edge.Store, error) {
	p := f.store
	if p == "" {
		p = filepath.Join(dir, ".verge", "store")
	}
	return edge.OpenStore(p)
}

// outputDir is the site's build output: --dist, else output_dir of its
// verge.toml, else DIR/dist. Reading the config needs no site code.
func outputDir(dir, flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	cfg, err := site.LoadConfig(dir)
	if err != nil {
		return "", err
	}
	out := filepath.FromSlash(cfg.OutputDir)
	if !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	return filepath.Abs(out)
}

func newDeployCmd() *cobra.Command {
	var sf storeFlags
	var dist, target string
	var retain int
	var asJSON, dry bool
	var purgeWaitFlag, timeout time.Duration
	cmd := &cobra.Command{
		Use:   "deploy [DIR]",
		Short: "Deploy the built site in DIR (default .) as a new version and activate it",
		Long: `Deploy stores the build output (dist/ and its manifest) in the local store
as a new version, copying only the files the store lacks, and activates it
atomically: every request after the switch sees the new version, none sees a
mix. Killed at any point it leaves the previous version live; run it again to
complete. Versions beyond --retain are collected, with the files only they used.
--dry-run prints what the deploy would upload and the purge plan that follows it
(the tags, every URL they cover, the requests), changing nothing.

With --target cloudflare, the build goes to the Worker of [cloudflare] in
verge.toml as a new version, live for all traffic in one step, with the API
token in CLOUDFLARE_API_TOKEN: only the files Cloudflare lacks are uploaded,
and a failed or interrupted deploy leaves the live version serving (run it
again: it uploads only what is still missing). The upload goes on as long as
it lands files, within --timeout. The purge then goes to the zone of
[cloudflare] zone_id and the edges of [purge] edges; when the zone's rate
limit would hold the plan past --purge-wait, one purge of everything goes
instead, and the deploy says so.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			out, err := outputDir(dir, dist)
			if err != nil {
				return err
			}
			switch target {
			case "local":
			case "cloudflare":
				if dry {
					return dryRunCloudflare(cmd.Context(), cmd.OutOrStdout(), dir, out, asJSON)
				}
				return deployCloudflare(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dir, out, asJSON, purgeWaitFlag, timeout)
			default:
				return fmt.Errorf("unknown target %q (Verge deploys to: local, cloudflare)", target)
			}
			s, err := sf.open(dir)
			if err != nil {
				return err
			}
			if dry {
				return dryRun(cmd.OutOrStdout(), s, out, asJSON)
			}
			// The purge is planned against what is live before the switch.
			m, err := readBuild(out)
			if err != nil {
				return err
			}
			plan, _, err := planPurge(s, m, out)
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := s.Deploy(cmd.Context(), out, retain)
			if err != nil {
				return err
			}
			purgeOut := cmd.OutOrStdout()
			if asJSON {
				purgeOut = cmd.ErrOrStderr() // stdout is the report's
			}
			purge := func() error {
				if rep.Unchanged {
					plan = &cachepurge.Plan{} // nothing new; what an earlier run left queued still goes
				}
				return queuePurge(cmd.Context(), purgeOut, dir, plan, purgeWaitFlag)
			}
			if asJSON {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(rep); err != nil {
					return err
				}
				return purge()
			}
			w := cmd.OutOrStdout()
			switch {
			case rep.Unchanged:
				fmt.Fprintf(w, "%s is live already: nothing to deploy\n", rep.Version)
			case rep.Reactivated:
				fmt.Fprintf(w, "reactivated %s (this build was deployed before)\n", rep.Version)
			default:
				fmt.Fprintf(w, "deployed %s in %s: %d files uploaded (%s), %d already stored\n", rep.Version,
					time.Since(start).Round(time.Millisecond), rep.Uploaded, human.Bytes(rep.UploadedBytes), rep.Reused)
				fmt.Fprintf(w, "  against %s: %d added, %d changed, %d removed\n", orNone(rep.Previous), rep.Changes.Added, rep.Changes.Modified, rep.Changes.Removed)
			}
			if c := rep.Collected; c.Versions > 0 || c.Blobs > 0 {
				fmt.Fprintf(w, "  collected %d old versions, %d files (%s)\n", c.Versions, c.Blobs, human.Bytes(c.Bytes))
			}
			return purge()
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&dist, "dist", "", "the build output (default: output_dir of verge.toml, else DIR/dist)")
	cmd.Flags().StringVar(&target, "target", "local", "where to deploy: local (the built-in store) or cloudflare")
	cmd.Flags().IntVar(&retain, "retain", edge.DefaultRetain, "versions to keep (the active one is always kept)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print what the deploy would upload and purge, changing nothing")
	cmd.Flags().DurationVar(&purgeWaitFlag, "purge-wait", purgeWait, "how long to wait for the purge to go out (rate limits, retries) before leaving it queued and exiting with status 3")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Hour, "with --target cloudflare: how long the upload and the new version may take before the deploy stops, leaving the live version serving (a new deploy uploads only the rest)")
	return cmd
}

func newVersionsCmd() *cobra.Command {
	var sf storeFlags
	var asJSON bool
	var target string
	cmd := &cobra.Command{
		Use:   "versions [DIR]",
		Short: "List the deployed versions of the site in DIR (default .), newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch target {
			case "local":
			case "cloudflare":
				return cloudflareVersions(cmd.Context(), cmd.OutOrStdout(), dirArg(args), asJSON)
			default:
				return fmt.Errorf("unknown target %q (Verge deploys to: local, cloudflare)", target)
			}
			s, err := sf.open(dirArg(args))
			if err != nil {
				return err
			}
			list, err := s.Versions()
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no versions yet: verge deploy makes one")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\tVERSION\tDEPLOYED\tFILES\tSIZE\tCHANGES")
			for _, v := range list {
				mark := ""
				if v.Active {
					mark = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t+%d ~%d -%d\n", mark, v.ID, v.Created.Local().Format("2006-01-02 15:04:05"),
					v.Files, human.Bytes(v.Bytes), v.Changes.Added, v.Changes.Modified, v.Changes.Removed)
			}
			return tw.Flush()
		},
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	cmd.Flags().StringVar(&target, "target", "local", "whose versions: local or cloudflare")
	return cmd
}

func newRollbackCmd() *cobra.Command {
	var sf storeFlags
	var dir, target string
	var purgeWaitFlag time.Duration
	cmd := &cobra.Command{
		Use:   "rollback [VERSION]",
		Short: "Activate an earlier version (default: the one live before the current one)",
		Long: `Rollback makes an earlier version live again, in one step. On Cloudflare
(--target cloudflare) VERSION is a version ID or its start, a version number,
or the start of a build id (verge versions --target cloudflare lists them),
and the purge of what differs between the two versions follows.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			to := ""
			if len(args) == 1 {
				to = args[0]
			}
			switch target {
			case "local":
			case "cloudflare":
				return cloudflareRollback(cmd.Context(), cmd.OutOrStdout(), dir, to, purgeWaitFlag)
			default:
				return fmt.Errorf("unknown target %q (Verge deploys to: local, cloudflare)", target)
			}
			s, err := sf.open(dir)
			if err != nil {
				return err
			}
			from, to, err := s.Rollback(to)
			if err != nil {
				return err
			}
			if from == to {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is live already\n", to)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rolled back from %s to %s\n", orNone(from), to)
			// What the versions differ in is purged, as for a deploy.
			prev, err := storeBuild(s, from)
			if err != nil {
				prev = cachepurge.Build{} // gone: nothing of it to plan from
			}
			next, err := storeBuild(s, to)
			if err != nil {
				return err
			}
			plan := &cachepurge.Plan{Everything: true}
			if prev.Manifest != nil {
				plan = cachepurge.New(prev, next, cachepurge.Limits{TagsPerRequest: 100})
			}
			return queuePurge(cmd.Context(), cmd.OutOrStdout(), dir, plan, purgeWaitFlag)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&dir, "dir", ".", "the site's directory")
	cmd.Flags().StringVar(&target, "target", "local", "where: local or cloudflare")
	cmd.Flags().DurationVar(&purgeWaitFlag, "purge-wait", purgeWait, "how long to wait for the purge to go out before leaving it queued and exiting with status 3")
	return cmd
}

func dirArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
