package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/edge/deploy"
	"github.com/vergehq/verge/site"
)

// storeFlags are the flags of the commands that work on the local store.
type storeFlags struct {
	store string
}

func (f *storeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.store, "store", "", "the local store (default: DIR/.verge/store)")
}

// site is the site in dir as deploying sees it, with the store of --store.
func (f *storeFlags) site(dir string) *deploy.Site {
	s := deploySite(dir)
	s.Store = f.store
	return s
}

// deploySite is the site in dir as deploying sees it: its verge.toml, read
// when needed (no site code), and how its files map to tags.
func deploySite(dir string) *deploy.Site {
	return deploy.NewSite(dir, func() (deploy.Config, error) {
		cfg, err := site.LoadConfig(dir)
		cf := cfg.Cloudflare
		return deploy.Config{BaseURL: cfg.BaseURL, OutputDir: cfg.OutputDir, PurgeEdges: cfg.Purge.Edges,
			Cloudflare: deploy.Cloudflare{AccountID: cf.AccountID, Script: cf.Script, ZoneID: cf.ZoneID, Origin: cf.Origin, URL: cf.URL,
				CompatibilityDate: cf.CompatibilityDate, MaxFiles: cf.MaxFiles, PurgePerMinute: cf.PurgePerMinute, PurgeBurst: cf.PurgeBurst}}, err
	}, site.FileTags)
}

// targetFlags are the flags of the commands that work on a deploy target.
type targetFlags struct {
	storeFlags
	target    string
	asJSON    bool
	purgeWait time.Duration
}

// add adds the flags; those with no usage are left out.
func (f *targetFlags) add(cmd *cobra.Command, targetUsage, jsonUsage, waitUsage string) {
	f.storeFlags.add(cmd)
	cmd.Flags().StringVar(&f.target, "target", deploy.TargetNames()[0], targetUsage)
	if jsonUsage != "" {
		cmd.Flags().BoolVar(&f.asJSON, "json", false, jsonUsage)
	}
	if waitUsage != "" {
		cmd.Flags().DurationVar(&f.purgeWait, "purge-wait", deploy.DefaultPurgeWait, waitUsage)
	}
}

// open opens the --target of the site in dir.
func (f *targetFlags) open(dir string) (deploy.Target, error) {
	return deploy.Open(f.target, f.site(dir))
}

// options are the target's options from the flags and the command's output.
func (f *targetFlags) options(cmd *cobra.Command) deploy.Options {
	return deploy.Options{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(), JSON: f.asJSON, PurgeWait: f.purgeWait}
}

// errPurgePending ends a deploy or rollback that went live but whose
// purge could not all be sent: exit status 3, so CI notices a purge that
// a throwaway runner would otherwise take with it.
var errPurgePending = exitError{code: 3, msg: deploy.ErrPurgePending.Error()}

// purgeExit gives a deploy's or rollback's error its exit status.
func purgeExit(err error) error {
	if errors.Is(err, deploy.ErrPurgePending) {
		return errPurgePending
	}
	return err
}

func newDeployCmd() *cobra.Command {
	var tf targetFlags
	var dist string
	var retain int
	var dry bool
	var timeout time.Duration
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
			out, err := tf.site(dir).Output(dist)
			if err != nil {
				return err
			}
			t, err := tf.open(dir)
			if err != nil {
				return err
			}
			o := tf.options(cmd)
			o.Retain, o.Timeout = retain, timeout
			if dry {
				return t.DryRun(cmd.Context(), out, o)
			}
			return purgeExit(t.Deploy(cmd.Context(), out, o))
		},
	}
	tf.add(cmd, "where to deploy: local (the built-in store) or cloudflare", "print the report as JSON",
		"how long to wait for the purge to go out (rate limits, retries) before leaving it queued and exiting with status 3")
	cmd.Flags().StringVar(&dist, "dist", "", "the build output (default: output_dir of verge.toml, else DIR/dist)")
	cmd.Flags().IntVar(&retain, "retain", edge.DefaultRetain, "versions to keep (the active one is always kept)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print what the deploy would upload and purge, changing nothing")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Hour, "with --target cloudflare: how long the upload and the new version may take before the deploy stops, leaving the live version serving (a new deploy uploads only the rest)")
	return cmd
}

func newVersionsCmd() *cobra.Command {
	var tf targetFlags
	cmd := &cobra.Command{
		Use:   "versions [DIR]",
		Short: "List the deployed versions of the site in DIR (default .), newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(dirArg(args))
			if err != nil {
				return err
			}
			return t.Versions(cmd.Context(), tf.options(cmd))
		},
	}
	tf.add(cmd, "whose versions: local or cloudflare", "print the list as JSON", "")
	return cmd
}

func newRollbackCmd() *cobra.Command {
	var tf targetFlags
	var dir string
	cmd := &cobra.Command{
		Use:   "rollback [VERSION]",
		Short: "Activate an earlier version (default: the one live before the current one)",
		Long: `Rollback makes an earlier version live again, in one step. On Cloudflare
(--target cloudflare) VERSION is a version ID or its start, a version number,
or the start of a build id (verge versions --target cloudflare lists them),
and the purge of what differs between the two versions follows.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(dir)
			if err != nil {
				return err
			}
			to := "" // the version live before
			if len(args) == 1 {
				to = args[0]
			}
			return purgeExit(t.Rollback(cmd.Context(), to, tf.options(cmd)))
		},
	}
	tf.add(cmd, "where: local or cloudflare", "", "how long to wait for the purge to go out before leaving it queued and exiting with status 3")
	cmd.Flags().StringVar(&dir, "dir", ".", "the site's directory")
	return cmd
}

func dirArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}
