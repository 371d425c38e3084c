package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"offrl/datasets"
	"offrl/internal/cli"
)

const infoUsage = `Usage: dataset info PATH [--json]

Prints a dataset's stored schema (column names and Parquet types), its
counts (rows, episodes, terminals, timeouts, parts), its key metadata and
the return statistics recomputed from the rows: mean, std, min and max
return over complete episodes (an open tail, a budget-cut last episode and
the cut tails of merged sources do not count), episode lengths over all
episodes, and the normalised score of the mean return (0 = random,
100 = expert).

Limitation: the package has no streaming reader yet, so info loads the
whole dataset into memory (about 4 bytes per stored float).

Examples:
  dataset info data/pendulum-medium-v0
  dataset info data/pendulum-expert-v0.parquet --json

Flags:
`

// info is what the info command reports; its JSON form is the --json
// output.
type info struct {
	Path    string                  `json:"path"`
	Schema  []datasets.StoredColumn `json:"schema"`
	Counts  counts                  `json:"counts"`
	Meta    datasets.Metadata       `json:"metadata"`
	Returns returnStats             `json:"returns"`
}

// counts are the row-level counts of a dataset.
type counts struct {
	Rows             int `json:"rows"`
	Episodes         int `json:"episodes"`
	CompleteEpisodes int `json:"complete_episodes"`
	Terminals        int `json:"terminals"`
	Timeouts         int `json:"timeouts"`
	Parts            int `json:"parts"`
}

// returnStats summarises episode returns (complete episodes) and lengths
// (all episodes).
type returnStats struct {
	Mean            float64 `json:"return_mean"`
	Std             float64 `json:"return_std"`
	Min             float64 `json:"return_min"`
	Max             float64 `json:"return_max"`
	NormalizedScore float64 `json:"normalized_score"`
	LengthMin       int     `json:"length_min"`
	LengthMean      float64 `json:"length_mean"`
	LengthMax       int     `json:"length_max"`
	Complete        int     `json:"complete_episodes"`
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("info", infoUsage)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	help, paths, err := parse(fs, args, stdout)
	switch {
	case help:
		return cli.ExitOK
	case err != nil:
		return usageFail(stderr, "info", err)
	case len(paths) != 1:
		return usageFail(stderr, "info", fmt.Errorf("want exactly one PATH, got %d", len(paths)))
	}

	rep, err := describe(paths[0])
	if err != nil {
		fmt.Fprintf(stderr, "dataset info: %v\n", err)
		return cli.ExitFailed
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false) // keep LIST<FLOAT> readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "dataset info: %v\n", err)
			return cli.ExitFailed
		}
		return cli.ExitOK
	}
	printInfo(stdout, rep)
	return cli.ExitOK
}

// describe reads the dataset at path and gathers its report.
func describe(path string) (info, error) {
	layout, err := datasets.ReadLayout(path)
	if err != nil {
		return info{}, err
	}
	d, err := datasets.Read(path)
	if err != nil {
		return info{}, err
	}
	rep := info{Path: path, Schema: layout.Columns, Meta: d.Meta}
	eps := d.Episodes()
	complete := d.CompleteEpisodes()
	rep.Counts = counts{Rows: d.Len(), Episodes: len(eps),
		CompleteEpisodes: len(complete), Parts: len(layout.Parts)}
	for i := range d.Len() {
		if d.Terminals[i] {
			rep.Counts.Terminals++
		}
		if d.Timeouts[i] {
			rep.Counts.Timeouts++
		}
	}
	rep.Returns = summarise(eps, complete, &d.Meta)
	return rep, nil
}

// summarise computes the return statistics of the complete episodes and
// the length statistics of all episodes. Without a complete episode the
// return fields stay 0.
func summarise(eps, complete []datasets.Episode, m *datasets.Metadata) returnStats {
	var s returnStats
	total := 0
	for k, ep := range eps {
		n := ep.End - ep.Start
		if k == 0 || n < s.LengthMin {
			s.LengthMin = n
		}
		s.LengthMax = max(s.LengthMax, n)
		total += n
	}
	if len(eps) > 0 {
		s.LengthMean = float64(total) / float64(len(eps))
	}
	s.Complete = len(complete)
	if len(complete) == 0 {
		return s
	}
	s.Min, s.Max = math.Inf(1), math.Inf(-1)
	for _, ep := range complete {
		s.Mean += ep.Return
		s.Min, s.Max = math.Min(s.Min, ep.Return), math.Max(s.Max, ep.Return)
	}
	s.Mean /= float64(len(complete))
	for _, ep := range complete {
		s.Std += (ep.Return - s.Mean) * (ep.Return - s.Mean)
	}
	s.Std = math.Sqrt(s.Std / float64(len(complete)))
	s.NormalizedScore = datasets.NormalizedScore(s.Mean, m.RefMinScore, m.RefMaxScore)
	return s
}

// printInfo writes the report for people.
func printInfo(w io.Writer, r info) {
	m, c, s := &r.Meta, r.Counts, r.Returns
	fmt.Fprintf(w, "dataset:            %s\n", r.Path)
	fmt.Fprintf(w, "schema:\n")
	for _, col := range r.Schema {
		fmt.Fprintf(w, "  %-20s %s\n", col.Name, col.Type)
	}
	fmt.Fprintf(w, "rows:               %d\n", c.Rows)
	fmt.Fprintf(w, "episodes:           %d (%d complete)\n", c.Episodes, c.CompleteEpisodes)
	fmt.Fprintf(w, "terminals:          %d\n", c.Terminals)
	fmt.Fprintf(w, "timeouts:           %d\n", c.Timeouts)
	fmt.Fprintf(w, "parts:              %d\n", c.Parts)
	fmt.Fprintf(w, "dataset_id:         %s\n", m.DatasetID)
	fmt.Fprintf(w, "env_id:             %s\n", m.EnvID)
	fmt.Fprintf(w, "dataset_kind:       %s\n", m.DatasetKind)
	fmt.Fprintf(w, "obs_dim, act_dim:   %d, %d\n", m.ObsDim, m.ActDim)
	fmt.Fprintf(w, "action_low:         %v\n", m.ActionLow)
	fmt.Fprintf(w, "action_high:        %v\n", m.ActionHigh)
	fmt.Fprintf(w, "max_episode_steps:  %d\n", m.MaxEpisodeSteps)
	fmt.Fprintf(w, "timeouts_meaning:   %s\n", m.TimeoutsMeaning)
	fmt.Fprintf(w, "tail_truncated:     %v\n", m.TailTruncated)
	fmt.Fprintf(w, "tail_open:          %v\n", m.TailOpen)
	fmt.Fprintf(w, "ref scores:         min %g, max %g (%s)\n",
		m.RefMinScore, m.RefMaxScore, m.RefSource)
	created := m.CreatedAt
	if created == "" {
		created = "(time not recorded; set SOURCE_DATE_EPOCH to record it)"
	}
	fmt.Fprintf(w, "created:            %s at %s\n", m.CreatedBy, created)
	fmt.Fprintf(w, "behaviour_policy:   %s\n", orNone(string(m.BehaviourPolicy)))
	for k, src := range m.Sources {
		cut := ""
		if src.TailCut {
			cut = ", tail cut"
		}
		fmt.Fprintf(w, "source %d:           %s (%d rows%s) sha256 %s\n",
			k, orNone(src.DatasetID), src.Rows, cut, src.SHA256)
	}
	fmt.Fprintf(w, "episode length:     min %d, mean %.1f, max %d\n",
		s.LengthMin, s.LengthMean, s.LengthMax)
	if s.Complete == 0 {
		fmt.Fprintf(w, "return:             n/a (no complete episode)\n")
		return
	}
	fmt.Fprintf(w, "return:             mean %.4g, std %.4g, min %.4g, max %.4g "+
		"(%d complete episodes)\n", s.Mean, s.Std, s.Min, s.Max, s.Complete)
	fmt.Fprintf(w, "normalized_score:   %.1f (0 = random, 100 = expert)\n", s.NormalizedScore)
}

// orNone returns s, or "-" for an empty value.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
