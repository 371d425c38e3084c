package datasets

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// sequenceProblem reports the column and the reason when a row with
// episode ep and step follows the row described by c in breach of the row
// order: the first row has step 0; within an episode episode_id repeats
// and step grows by 1; after a row with terminal or timeout set the next
// row starts episode_id + 1 at step 0. It returns "", "" for a valid row.
func sequenceProblem(c cursor, ep, step int32) (column, reason string) {
	switch {
	case !c.started:
		if ep < 0 {
			return colEpisodeID, fmt.Sprintf("value %d, want ≥ 0", ep)
		}
		if step != 0 {
			return colStep, fmt.Sprintf("value %d on the first row, want 0", step)
		}
	case c.terminal || c.timeout:
		if int64(ep) != int64(c.episodeID)+1 {
			return colEpisodeID, fmt.Sprintf("value %d after episode %d ended, want %d",
				ep, c.episodeID, int64(c.episodeID)+1)
		}
		if step != 0 {
			return colStep, fmt.Sprintf("value %d at the start of episode %d, want 0", step, ep)
		}
	default:
		if ep != c.episodeID {
			return colEpisodeID, fmt.Sprintf("value %d but episode %d has not ended "+
				"(previous row has neither terminal nor timeout), want %d",
				ep, c.episodeID, c.episodeID)
		}
		if int64(step) != int64(c.step)+1 {
			return colStep, fmt.Sprintf("value %d after step %d of episode %d, want %d",
				step, c.step, c.episodeID, int64(c.step)+1)
		}
	}
	return "", ""
}

// checkRowOrder checks the row order of d's rows [from, d.Len()), which
// came from file, continuing from cur and leaving cur at the last row.
// Row from is row base in errors.
func checkRowOrder(d *Dataset, from int, base int64, file string, cur *cursor) error {
	for i := from; i < d.Len(); i++ {
		if col, reason := sequenceProblem(*cur, d.EpisodeIDs[i], d.Steps[i]); col != "" {
			return &ValidationError{File: file, Column: col, Row: base + int64(i-from), Reason: reason}
		}
		*cur = cursor{started: true, episodeID: d.EpisodeIDs[i], step: d.Steps[i],
			terminal: d.Terminals[i], timeout: d.Timeouts[i]}
	}
	return nil
}

// Validate checks d as the `dataset validate` command does: the column
// lengths, finite values and row order that [Read] guarantees (for a
// Dataset built in memory), then the metadata against the rows:
//
//   - obs_dim and act_dim equal the Dataset's dimensions, and nq and nv
//     the widths of its qpos and qvel columns (a Dataset read without
//     [ReadOptions.State] holds none, and its state columns, whose
//     presence the reader checked, are taken as declared: read with the
//     option, or use [ValidateStream], to check their values);
//   - num_transitions, num_episodes, num_terminals, num_timeouts,
//     tail_open and the return statistics and normalized score equal what
//     the rows give (returns to a relative 1e-9);
//   - tail_truncated is set only if the last row has timeouts=true;
//   - with max_episode_steps > 0, no episode is longer, and unless
//     timeouts_meaning is "goal_switch" every timeout row ends an episode
//     of exactly max_episode_steps rows, the last episode excepted when
//     tail_truncated is set, and in a merged dataset the episodes that
//     end where a source with tail_cut ends (see [Source]), which must
//     end with timeouts=true (and the sources' rows must add up to the
//     dataset's);
//
// A row-level fault returns one *[ValidationError]; metadata faults are
// all reported, joined, each a *ValidationError with Row -1 naming the key,
// the stored value and the value the rows give.
func (d *Dataset) Validate() error {
	if d.ObsDim < 1 || d.ActDim < 1 {
		return errorf(ErrSchema, "dimensions %d, %d, want ≥ 1", d.ObsDim, d.ActDim)
	}
	if d.NQ < 0 || d.NV < 0 || (d.NQ == 0) != (d.NV == 0) {
		return errorf(ErrSchema, "state widths nq %d, nv %d, want both 0 or both ≥ 1", d.NQ, d.NV)
	}
	if err := checkColumnLengths(d); err != nil {
		return mark(ErrSchema, err)
	}
	if d.Len() == 0 {
		return ErrEmpty
	}
	if err := d.checkFinite(); err != nil {
		return err
	}
	var cur cursor
	if err := checkRowOrder(d, 0, 0, "", &cur); err != nil {
		return err
	}
	if err := d.checkContinuity(); err != nil {
		return err
	}
	errs := d.checkTimeLimits()
	return errors.Join(append(errs, d.checkDerived()...)...)
}

// checkContinuity requires that inside an episode each row's
// next_observations equals the following row's observations bit for bit
// (pitfall B18): a mismatch means a dropped, duplicated or reordered step,
// or an episode boundary without its end flag.
func (d *Dataset) checkContinuity() error {
	od := d.ObsDim
	for i := 0; i+1 < d.Len(); i++ {
		if d.Terminals[i] || d.Timeouts[i] || d.EpisodeIDs[i] != d.EpisodeIDs[i+1] {
			continue
		}
		next := d.NextObservations[i*od : (i+1)*od]
		obs := d.Observations[(i+1)*od : (i+2)*od]
		if err := continuityProblem(next, obs, int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// continuityProblem compares the next_observations of row with the
// observations of the row after it in the same episode.
func continuityProblem(next, obs []float32, row int64) error {
	for j := range next {
		if math.Float32bits(next[j]) != math.Float32bits(obs[j]) {
			return &ValidationError{Column: colNextObs, Row: row,
				Reason: fmt.Sprintf("element %d: value %v, but the next row of the episode "+
					"observes %v (a missing, repeated or reordered step?)", j, next[j], obs[j])}
		}
	}
	return nil
}

// checkFinite rejects the first NaN or infinite value.
func (d *Dataset) checkFinite() error {
	cols := []struct {
		name   string
		values []float32
		dim    int
	}{
		{colObs, d.Observations, d.ObsDim},
		{colActions, d.Actions, d.ActDim},
		{colRewards, d.Rewards, 1},
		{colNextObs, d.NextObservations, d.ObsDim},
	}
	for _, c := range cols {
		for i, x := range c.values {
			if !finite32(x) {
				return &ValidationError{Column: c.name, Row: int64(i / c.dim),
					Reason: fmt.Sprintf("element %d: value %v, want a finite float32", i%c.dim, x)}
			}
		}
	}
	for _, c := range []struct {
		name   string
		values []float64
		dim    int
	}{{colQpos, d.Qpos, d.NQ}, {colQvel, d.Qvel, d.NV}} {
		for i, x := range c.values {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return &ValidationError{Column: c.name, Row: int64(i / c.dim),
					Reason: fmt.Sprintf("element %d: value %v, want a finite float64", i%c.dim, x)}
			}
		}
	}
	return nil
}

// checkTimeLimits applies the max_episode_steps and tail_truncated rules.
func (d *Dataset) checkTimeLimits() []error {
	m, n := &d.Meta, d.Len()
	var errs []error
	if m.TailTruncated && !d.Timeouts[n-1] {
		errs = append(errs, &ValidationError{Column: "tail_truncated", Row: -1,
			Reason: fmt.Sprintf("value true, but the last row (%d) has timeouts=false", n-1)})
	}
	cuts, err := checkSources(d)
	if err != nil {
		return append(errs, err)
	}
	if m.MaxEpisodeSteps <= 0 {
		return errs
	}
	eps := d.Episodes()
	for k, ep := range eps {
		length := ep.End - ep.Start
		if length > m.MaxEpisodeSteps {
			errs = append(errs, &ValidationError{Column: "max_episode_steps", Row: -1,
				Reason: fmt.Sprintf("value %d, but episode %d (rows %d to %d) has %d steps",
					m.MaxEpisodeSteps, d.EpisodeIDs[ep.Start], ep.Start, ep.End-1, length)})
			break
		}
		last := k == len(eps)-1
		exempt := m.TimeoutsMeaning == TimeoutsGoalSwitch || (last && m.TailTruncated) ||
			cuts[int64(ep.End)]
		if exempt || !d.Timeouts[ep.End-1] {
			continue
		}
		if length != m.MaxEpisodeSteps {
			errs = append(errs, &ValidationError{Column: colTimeouts, Row: int64(ep.End - 1),
				Reason: fmt.Sprintf("time-limit timeout after %d steps of episode %d, "+
					"want max_episode_steps %d",
					length, d.EpisodeIDs[ep.Start], m.MaxEpisodeSteps)})
			break
		}
	}
	return errs
}

// checkSources checks a merged dataset's sources list against the rows:
// the sources' rows add up to the dataset's, and each source with tail_cut
// ends on a row with timeouts=true, the last one only if tail_truncated is
// set (the last source's cut tail is the dataset's). It returns the row
// counts at which the cut tails end.
func checkSources(d *Dataset) (map[int64]bool, error) {
	m, n := &d.Meta, int64(d.Len())
	if len(m.Sources) == 0 {
		return nil, nil
	}
	var rows int64
	for _, s := range m.Sources {
		rows += s.Rows
	}
	if rows != n {
		return nil, &ValidationError{Column: "sources", Row: -1,
			Reason: fmt.Sprintf("rows add up to %d, but the dataset has %d rows", rows, n)}
	}
	cuts := cutEnds(m.Sources)
	for _, end := range slices.Sorted(maps.Keys(cuts)) {
		switch {
		case end < 1 || !d.Timeouts[end-1]:
			return nil, &ValidationError{Column: "sources", Row: -1,
				Reason: fmt.Sprintf("a source with tail_cut ends on row %d, "+
					"which has timeouts=false, want true", end-1)}
		case end == n && !m.TailTruncated:
			return nil, &ValidationError{Column: "sources", Row: -1,
				Reason: "the last source has tail_cut, but tail_truncated is false, want true"}
		}
	}
	return cuts, nil
}

// checkDerived recomputes the derived metadata and reports every key whose
// stored value differs.
func (d *Dataset) checkDerived() []error {
	t := tally{cuts: cutEnds(d.Meta.Sources)}
	for i := range d.Len() {
		t.add(d.Rewards[i], d.Terminals[i], d.Timeouts[i])
	}
	got := dims{d.ObsDim, d.ActDim, d.NQ, d.NV}
	if d.NQ == 0 && d.Qpos == nil && d.Qvel == nil {
		// Read without ReadOptions.State: the reader has checked that
		// the columns the metadata declares are there, and their values
		// are not in memory to check.
		got.nq, got.nv = d.Meta.NQ, d.Meta.NV
	}
	return derivedMismatches(&d.Meta, got, &t)
}

// dims are the widths the rows of a dataset have.
type dims struct{ obs, act, nq, nv int }

// derivedMismatches finishes t, the tally of every row of a dataset with
// the given dimensions and stored metadata, and reports every key whose
// stored value differs from what the rows give.
func derivedMismatches(stored *Metadata, got dims, t *tally) []error {
	t.finish(stored.TailTruncated)
	want := *stored
	t.fill(&want)
	want.ObsDim, want.ActDim, want.NQ, want.NV = got.obs, got.act, got.nq, got.nv

	var errs []error
	mismatch := func(key string, stored, rows any) {
		errs = append(errs, &ValidationError{Column: key, Row: -1,
			Reason: fmt.Sprintf("value %v, but the rows give %v", stored, rows)})
	}
	ints := []struct {
		key          string
		stored, rows int64
	}{
		{"obs_dim", int64(stored.ObsDim), int64(want.ObsDim)},
		{"act_dim", int64(stored.ActDim), int64(want.ActDim)},
		{"nq", int64(stored.NQ), int64(want.NQ)},
		{"nv", int64(stored.NV), int64(want.NV)},
		{"num_transitions", stored.NumTransitions, want.NumTransitions},
		{"num_episodes", stored.NumEpisodes, want.NumEpisodes},
		{"num_terminals", stored.NumTerminals, want.NumTerminals},
		{"num_timeouts", stored.NumTimeouts, want.NumTimeouts},
	}
	for _, x := range ints {
		if x.stored != x.rows {
			mismatch(x.key, x.stored, x.rows)
		}
	}
	if stored.TailOpen != want.TailOpen {
		mismatch("tail_open", stored.TailOpen, want.TailOpen)
	}
	floats := []struct {
		key          string
		stored, rows float64
	}{
		{"return_mean", stored.ReturnMean, want.ReturnMean},
		{"return_std", stored.ReturnStd, want.ReturnStd},
		{"return_min", stored.ReturnMin, want.ReturnMin},
		{"return_max", stored.ReturnMax, want.ReturnMax},
		{"normalized_score", stored.NormalizedScore, want.NormalizedScore},
	}
	for _, x := range floats {
		scale := math.Max(1, math.Max(math.Abs(x.stored), math.Abs(x.rows)))
		if math.Abs(x.stored-x.rows) > 1e-9*scale {
			mismatch(x.key, x.stored, x.rows)
		}
	}
	return errs
}
