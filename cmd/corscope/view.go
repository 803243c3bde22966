package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/report"
	"github.com/corscope/corscope/internal/termsafe"
	"github.com/corscope/corscope/tui"
)

// maxReportBytes bounds what view reads: a report is data from elsewhere
// (CI, a colleague) and must not exhaust memory.
const maxReportBytes = 256 << 20

func (a *app) newViewCmd() *cobra.Command {
	var theme string
	var noColor, merge bool
	cmd := &cobra.Command{
		Use:   "view REPORT.json [NEWER.json | MORE.json...]",
		Short: "Open a saved JSON report read-only, compare two, or merge several vantage points",
		Long: `view opens a report written by check --format json (or exported from the
interactive view with e) in the interactive view, read-only: nothing is sent.
With two reports, each target and variant is compared with the older run: the
targets pane says which changed, and d marks every changed cell as
"new (was old)". The title reads "view OLD vs NEW"; without a terminal each
change is one line, "target · variant · field: was OLD, now NEW".

Reports from several vantage points (check --label, or CORSCOPE_LABEL; a CI
job matrix running check in several regions) are merged instead: each target
gets the variants of every report, side by side, labelled by the report's
label, and edges-disagree when one vantage point got a poisoned copy and
another did not. Two reports are compared when they have the same label (or
none) and merged when their labels differ; three or more are always merged;
--merge merges two reports of the same label too. A report without a label is
named by its file name in a merge.

Without a terminal on stdout it prints the report (or the merged report) as a
table, or with two compared reports one line per change; if that output
cannot be written (stdout closed or full) it exits 5.`,
		Example: `  corscope view report.json
  corscope view yesterday.json today.json
  corscope view eu-west.json us-east.json ap-south.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > maxMerged {
				return usageErr("%d reports: view merges at most %d", len(args), maxMerged)
			}
			reps := make([]cachemodel.Report, len(args))
			for i, p := range args {
				r, err := readReport(p)
				if err != nil {
					return usageErr("%v", err)
				}
				reps[i] = r
			}
			merging := len(reps) > 2 || (len(reps) == 2 && (merge || reps[0].Label != reps[1].Label))
			title := "view " + filepath.Base(args[0])
			if merging {
				vantages := vantageNames(reps, args)
				merged := cachemodel.MergeReports(reps, vantages)
				reps = []cachemodel.Report{merged}
				title = "view " + termsafe.String(strings.Join(vantages, " + "))
			}
			newer := reps[len(reps)-1]
			var older *cachemodel.Report
			if len(reps) == 2 {
				older = &reps[0]
			}
			if !a.stdoutTTY {
				return a.printView(older, newer)
			}
			cfg, err := a.loadConfig(cmd)
			if err != nil {
				return err
			}
			if theme == "" {
				theme = cfg.Theme
			}
			themeList, err := checkTheme(cfg, theme)
			if err != nil {
				return err
			}
			keys, err := tuiKeys(cfg)
			if err != nil {
				return err
			}
			opt := tui.Options{
				Reports:      newer.Targets,
				Title:        title,
				Themes:       themeList,
				Theme:        theme,
				Keys:         &keys,
				Renderer:     a.tuiRenderer(noColor, cfg.Color),
				Clipboard:    a.stdout,
				ClipboardEnv: a.getenv,
				Tool:         "corscope " + versionString(),
				Context:      cmd.Context(),
			}
			if older != nil {
				opt.Previous = older.Targets
				opt.Title = compareTitle(args[0], args[1])
			}
			return runProgram(cmd.Context(), tui.New(opt), a.stdout)
		},
	}
	cmd.Flags().StringVar(&theme, "theme", "", "colour theme (default from the configuration, else \"default\"); t cycles")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")
	cmd.Flags().BoolVar(&merge, "merge", false, "merge two reports side by side even when their labels are the same (default: compare them)")
	return cmd
}

// compareTitle names a comparison of two reports. "→" is kept for one
// meaning on every screen, across rounds (MISS→HIT), so the two files are
// joined by "vs".
func compareTitle(older, newer string) string {
	return "view " + filepath.Base(older) + " vs " + filepath.Base(newer)
}

// changeLine is one line of view's change list without a terminal:
// "where · field: was old, now new" (no "→", which means across rounds).
// maxChangeBytes caps each value of a change line; a longer one ends in a
// visible "…(+N bytes)".
const maxChangeBytes = 512

func changeLine(where, field, old, new string) string {
	return where + " · " + field + ": was " + old + ", now " + new
}

// maxMerged bounds the reports view merges (each is up to 256 MiB).
const maxMerged = 32

// vantageNames names each report in a merge: its label, or its file name
// without .json; a name used twice gets the file name added.
func vantageNames(reps []cachemodel.Report, paths []string) []string {
	names := make([]string, len(reps))
	count := map[string]int{}
	for i, r := range reps {
		names[i] = r.Label
		if names[i] == "" {
			names[i] = strings.TrimSuffix(filepath.Base(paths[i]), ".json")
		}
		count[names[i]]++
	}
	for i := range names {
		if count[names[i]] > 1 {
			names[i] += " (" + filepath.Base(paths[i]) + ")"
		}
	}
	return names
}

// readReport reads and checks one JSON report.
func readReport(path string) (cachemodel.Report, error) {
	var rep cachemodel.Report
	f, err := os.Open(path)
	if err != nil {
		return rep, fmt.Errorf("cannot open report: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxReportBytes+1))
	if err != nil {
		return rep, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxReportBytes {
		return rep, fmt.Errorf("%s is larger than %d MiB; is it a corscope report?", path, maxReportBytes>>20)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return rep, fmt.Errorf("%s is not valid JSON (at byte %d): %v", path, se.Offset, err)
		}
		return rep, fmt.Errorf("%s is not a corscope report: %v", path, err)
	}
	if rep.Schema != cachemodel.ReportSchema {
		return rep, fmt.Errorf("%s is not a corscope report: schema %q, want %q", path, termsafe.Line(rep.Schema, 80), cachemodel.ReportSchema)
	}
	return rep, nil
}

// printView is view without a terminal: the report as a table, or the
// changes between two reports, one per line.
func (a *app) printView(older *cachemodel.Report, newer cachemodel.Report) error {
	if older == nil {
		w := report.NewWriter("table", a.stdout, report.Options{Tool: newer.Tool, Mode: newer.Mode, Label: newer.Label, Width: a.termWidth()})
		if err := w.Begin(); err != nil {
			return err
		}
		var sum cachemodel.Summary
		for _, t := range newer.Targets {
			sum.Add(t)
			if err := w.Target(t); err != nil {
				return err
			}
		}
		return w.End(sum)
	}
	changes := cachemodel.Changes(older.Targets, newer.Targets)
	if len(changes) == 0 {
		_, err := fmt.Fprintln(a.stdout, "no changes")
		return err
	}
	for _, c := range changes {
		// Report text is as untrusted as a server's: escaped here, at
		// the edge.
		where := termsafe.Line(c.URL, maxChangeBytes)
		if c.Variant != "" {
			where += " · " + termsafe.Line(c.Variant, maxChangeBytes)
		}
		line := changeLine(where, termsafe.Line(c.Field, maxChangeBytes), termsafe.Line(c.Old, maxChangeBytes), termsafe.Line(c.New, maxChangeBytes))
		if _, err := fmt.Fprintln(a.stdout, line); err != nil {
			return err
		}
	}
	return nil
}
