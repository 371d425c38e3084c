package datasets

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ValidateStream checks the dataset at path as [ReadWith] (with
// [ReadOptions.State], whatever opts says) followed by [Dataset.Validate]
// does, with the same rules and the same messages, but
// reads it one row group at a time through [ScanWith], so that its memory
// is bounded by a row group rather than by the dataset (pitfall B26).
// State that spans row groups is carried across them: the last row's
// next_observations for continuity, the episode in progress for the time
// limit, and the derived metadata in an incremental tally.
//
// With one fault it returns the error ReadWith or Validate would; with
// several, see [ScanWith]. On success it returns the dataset's metadata,
// whose counts then equal what the rows give.
func ValidateStream(ctx context.Context, path string, opts ReadOptions) (Metadata, error) {
	var v streamValidator
	opts.State = true // the state columns are checked too
	meta, err := ScanWith(ctx, path, opts, v.chunk)
	if err != nil {
		return Metadata{}, err
	}
	if err := v.finish(); err != nil {
		return Metadata{}, err
	}
	return meta, nil
}

// streamValidator holds what [Dataset.Validate] needs to know about the
// rows already seen.
type streamValidator struct {
	meta           Metadata
	obsDim, actDim int
	nq, nv         int   // state widths read (0 without state columns)
	rows           int64 // rows seen
	t              tally

	// Continuity: the first fault found, and the last row seen.
	continuity  error
	lastNext    []float32 // next_observations of the last row
	lastEnded   bool      // the last row has terminal or timeout set
	lastEpisode int32
	lastTimeout bool

	// Time limits. epStart and epID describe the episode in progress
	// (by flags, as [Dataset.Episodes] splits them); limit is the first
	// time-limit fault; held is a fault that does not count if its
	// episode turns out to be the last one and tail_truncated is set.
	cuts        map[int64]bool
	cutTimeouts map[int64]bool // for each cut end, the timeout of the row before it
	epStart     int64
	epID        int32
	limit, held error
}

// chunk accounts for one row group; it is the function given to ScanWith.
func (v *streamValidator) chunk(d *Dataset, first int64) error {
	if v.rows == 0 {
		v.meta, v.obsDim, v.actDim = d.Meta, d.ObsDim, d.ActDim
		v.nq, v.nv = d.NQ, d.NV
		v.cuts = cutEnds(d.Meta.Sources)
		v.cutTimeouts = make(map[int64]bool)
		v.t = tally{cuts: v.cuts}
	}
	od := d.ObsDim
	for i := range d.Len() {
		row := first + int64(i)
		terminal, timeout := d.Terminals[i], d.Timeouts[i]
		v.t.add(d.Rewards[i], terminal, timeout)

		if v.continuity == nil && row > 0 && !v.lastEnded && v.lastEpisode == d.EpisodeIDs[i] {
			v.continuity = continuityProblem(v.lastNext, d.Observations[i*od:(i+1)*od], row-1)
		}

		if v.held != nil { // a row follows, so the held episode was not the last
			v.limit, v.held = v.held, nil
		}
		if row == 0 || v.lastEnded {
			v.epStart, v.epID = row, d.EpisodeIDs[i]
		}
		if terminal || timeout {
			v.episodeEnded(row+1, timeout)
		}
		if v.cuts[row+1] {
			v.cutTimeouts[row+1] = timeout
		}

		v.lastNext = append(v.lastNext[:0], d.NextObservations[i*od:(i+1)*od]...)
		v.lastEnded, v.lastEpisode, v.lastTimeout = terminal || timeout, d.EpisodeIDs[i], timeout
	}
	v.rows += int64(d.Len())
	return nil
}

// episodeEnded applies the max_episode_steps rules to the episode in
// progress, which ends before row end.
func (v *streamValidator) episodeEnded(end int64, timeout bool) {
	m := &v.meta
	if m.MaxEpisodeSteps <= 0 || v.limit != nil || v.held != nil {
		return
	}
	if v.tooLong(end) {
		return
	}
	exempt := m.TimeoutsMeaning == TimeoutsGoalSwitch || v.cuts[end]
	length := end - v.epStart
	if exempt || !timeout || length == int64(m.MaxEpisodeSteps) {
		return
	}
	err := &ValidationError{Column: colTimeouts, Row: end - 1,
		Reason: fmt.Sprintf("time-limit timeout after %d steps of episode %d, "+
			"want max_episode_steps %d", length, v.epID, m.MaxEpisodeSteps)}
	if m.TailTruncated {
		v.held = err // exempt if this is the last episode
	} else {
		v.limit = err
	}
}

// tooLong records a fault if the episode in progress, ending before row
// end, is longer than max_episode_steps.
func (v *streamValidator) tooLong(end int64) bool {
	m := &v.meta
	length := end - v.epStart
	if length <= int64(m.MaxEpisodeSteps) {
		return false
	}
	v.limit = &ValidationError{Column: "max_episode_steps", Row: -1,
		Reason: fmt.Sprintf("value %d, but episode %d (rows %d to %d) has %d steps",
			m.MaxEpisodeSteps, v.epID, v.epStart, end-1, length)}
	return true
}

// finish reports the faults found, in the order Validate reports them.
func (v *streamValidator) finish() error {
	if v.continuity != nil {
		return v.continuity
	}
	m, n := &v.meta, v.rows
	if m.MaxEpisodeSteps > 0 && v.limit == nil && v.held == nil && !v.lastEnded {
		v.tooLong(n) // the open last episode
	}
	var errs []error
	if m.TailTruncated && !v.lastTimeout {
		errs = append(errs, &ValidationError{Column: "tail_truncated", Row: -1,
			Reason: fmt.Sprintf("value true, but the last row (%d) has timeouts=false", n-1)})
	}
	if err := v.checkSources(); err != nil {
		errs = append(errs, err)
	} else if m.MaxEpisodeSteps > 0 && v.limit != nil {
		errs = append(errs, v.limit)
	}
	errs = append(errs, derivedMismatches(m, dims{v.obsDim, v.actDim, v.nq, v.nv}, &v.t)...)
	return errors.Join(errs...)
}

// checkSources applies the rules of checkSources to the rows seen.
func (v *streamValidator) checkSources() error {
	m, n := &v.meta, v.rows
	if len(m.Sources) == 0 {
		return nil
	}
	var rows int64
	for _, s := range m.Sources {
		rows += s.Rows
	}
	if rows != n {
		return &ValidationError{Column: "sources", Row: -1,
			Reason: fmt.Sprintf("rows add up to %d, but the dataset has %d rows", rows, n)}
	}
	for _, end := range slices.Sorted(maps.Keys(v.cuts)) {
		switch {
		case end < 1 || end > n || !v.cutTimeouts[end]:
			return &ValidationError{Column: "sources", Row: -1,
				Reason: fmt.Sprintf("a source with tail_cut ends on row %d, "+
					"which has timeouts=false, want true", end-1)}
		case end == n && !m.TailTruncated:
			return &ValidationError{Column: "sources", Row: -1,
				Reason: "the last source has tail_cut, but tail_truncated is false, want true"}
		}
	}
	return nil
}
