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

The rows are read one row group at a time, so memory stays bounded by a
row group, not by the dataset.

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

	rep, err := describe(ctx, paths[0])
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

// describe reads the dataset at path, one row group at a time, and
// gathers its report.
func describe(ctx context.Context, path string) (info, error) {
	layout, err := datasets.ReadLayout(path)
	if err != nil {
		return info{}, err
	}
	var acc episodeStats
	meta, err := datasets.Scan(ctx, path, func(chunk *datasets.Dataset, first int64) error {
		if first == 0 {
			acc.cuts = cutEnds(chunk.Meta.Sources)
		}
		for i := range chunk.Len() {
			acc.add(chunk.Rewards[i], chunk.Terminals[i], chunk.Timeouts[i])
		}
		return nil
	})
	if err != nil {
		return info{}, err
	}
	acc.finish(meta.TailTruncated)
	rep := info{Path: path, Schema: layout.Columns, Meta: meta}
	rep.Counts = counts{Rows: acc.rows, Episodes: acc.episodes,
		CompleteEpisodes: len(acc.returns), Terminals: acc.terminals, Timeouts: acc.timeouts,
		Parts: len(layout.Parts)}
	rep.Returns = acc.summarise(&meta)
	return rep, nil
}

// episodeStats gathers, row by row, what info reports about episodes. It
// splits episodes as [datasets.Dataset.Episodes] does and keeps the returns
// of those [datasets.Dataset.CompleteEpisodes] counts: one float64 per
// episode, not per row.
type episodeStats struct {
	cuts map[int64]bool // row counts at which merged sources' cut tails end

	rows, episodes, terminals, timeouts int
	lengthMin, lengthMax, lengthTotal   int

	inEpisode bool    // the last row did not end its episode
	curReturn float64 // of the episode in progress
	curLen    int     // rows of the episode in progress
	pending   bool    // the last ended episode is complete unless it is the last
	pendRet   float64 // its return
	returns   []float64
}

// add accounts for one row.
func (s *episodeStats) add(reward float32, terminal, timeout bool) {
	s.rows++
	if terminal {
		s.terminals++
	}
	if timeout {
		s.timeouts++
	}
	if !s.inEpisode {
		if s.pending { // a row follows, so that episode was not the last
			s.returns = append(s.returns, s.pendRet)
			s.pending = false
		}
		s.inEpisode, s.curReturn, s.curLen = true, 0, 0
	}
	s.curReturn += float64(reward)
	s.curLen++
	if terminal || timeout {
		s.endEpisode()
		s.pending, s.pendRet = !s.cuts[int64(s.rows)], s.curReturn
	}
}

// endEpisode counts the episode in progress.
func (s *episodeStats) endEpisode() {
	if s.episodes == 0 || s.curLen < s.lengthMin {
		s.lengthMin = s.curLen
	}
	s.lengthMax = max(s.lengthMax, s.curLen)
	s.lengthTotal += s.curLen
	s.episodes++
	s.inEpisode = false
}

// finish counts an open last episode (never complete) and keeps the last
// ended one unless tail_truncated says the budget cut it.
func (s *episodeStats) finish(tailTruncated bool) {
	if s.inEpisode {
		s.endEpisode() // open: its return does not count
		s.pending = false
	}
	if s.pending && !tailTruncated {
		s.returns = append(s.returns, s.pendRet)
	}
	s.pending = false
}

// summarise computes the return statistics of the complete episodes and
// the length statistics of all episodes. Without a complete episode the
// return fields stay 0.
func (s *episodeStats) summarise(m *datasets.Metadata) returnStats {
	r := returnStats{LengthMin: s.lengthMin, LengthMax: s.lengthMax, Complete: len(s.returns)}
	if s.episodes > 0 {
		r.LengthMean = float64(s.lengthTotal) / float64(s.episodes)
	}
	if len(s.returns) == 0 {
		return r
	}
	r.Min, r.Max = math.Inf(1), math.Inf(-1)
	for _, ret := range s.returns {
		r.Mean += ret
		r.Min, r.Max = math.Min(r.Min, ret), math.Max(r.Max, ret)
	}
	r.Mean /= float64(len(s.returns))
	for _, ret := range s.returns {
		r.Std += (ret - r.Mean) * (ret - r.Mean)
	}
	r.Std = math.Sqrt(r.Std / float64(len(s.returns)))
	r.NormalizedScore = datasets.NormalizedScore(r.Mean, m.RefMinScore, m.RefMaxScore)
	return r
}

// cutEnds returns the row counts at which the episodes of merged sources'
// cut tails end (see [datasets.Source]).
func cutEnds(sources []datasets.Source) map[int64]bool {
	ends := make(map[int64]bool)
	var rows int64
	for _, src := range sources {
		rows += src.Rows
		if src.TailCut {
			ends[rows] = true
		}
	}
	return ends
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
	if m.NQ > 0 {
		fmt.Fprintf(w, "state (nq, nv):     %d, %d (qpos, qvel float64 before each step)\n",
			m.NQ, m.NV)
	}
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
