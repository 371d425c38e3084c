package datasets

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// timeLimitDataset returns episodes of the given lengths that all end in a
// time-limit timeout, with metadata derived by writing and reading them.
func timeLimitDataset(t *testing.T, maxSteps int, lengths ...int) *Dataset {
	t.Helper()
	d := makeDataset(t, lengths, 4, 1, 17)
	for i := range d.Terminals {
		d.Timeouts[i] = d.Timeouts[i] || d.Terminals[i]
		d.Terminals[i] = false
	}
	d.Meta.MaxEpisodeSteps = maxSteps
	path := filepath.Join(t.TempDir(), "d")
	if err := Write(path, d); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestValidate_B17 collects four 50-step episodes under a 50-step limit:
// the dataset validates, and a copy whose metadata claims a 25-step limit
// fails naming the key and both values (pitfall B17).
func TestValidate_B17(t *testing.T) {
	d := timeLimitDataset(t, 50, 50, 50, 50, 50)
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}

	// Metadata that claims a 25-step limit for 50-step episodes reads, and
	// fails validation naming the key and both values.
	claim := *d
	claim.Meta.MaxEpisodeSteps = 25
	dir := filepath.Join(t.TempDir(), "claims-25")
	if err := Write(dir, &claim); err != nil {
		t.Fatal(err)
	}
	tampered, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = tampered.Validate()
	wantValidation(t, err, "max_episode_steps", -1)
	msg := err.Error()
	if !strings.Contains(msg, "value 25") || !strings.Contains(msg, "has 50 steps") {
		t.Errorf("Validate() = %q, want both values 25 and 50", err)
	}

	// A manifest edited to disagree with the part footers does not read.
	edited := filepath.Join(t.TempDir(), "edited")
	if err := Write(edited, d); err != nil {
		t.Fatal(err)
	}
	editManifest(t, edited, func(m *manifest) { m.MaxEpisodeSteps = 25 })
	_, err = Read(edited)
	if err == nil || !strings.Contains(err.Error(), "max_episode_steps") ||
		!strings.Contains(err.Error(), "25") || !strings.Contains(err.Error(), "50") {
		t.Errorf("Read of an edited manifest = %v, want an error naming max_episode_steps, 25 and 50", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		lengths []int
		edit    func(d *Dataset)
		key     string // "" means valid
		text    string
	}{
		{"clean", []int{5, 5, 5}, nil, "", ""},
		{"truncated tail is exempt", []int{5, 5, 2}, nil, "", ""},
		{"goal switches are exempt", []int{1, 4, 2}, func(d *Dataset) {
			d.Meta.TimeoutsMeaning = TimeoutsGoalSwitch
			d.Meta.TailTruncated = false
			m := &d.Meta
			m.ReturnMean, m.ReturnStd, m.ReturnMin, m.ReturnMax, m.NormalizedScore = recompute(d)
		}, "", ""},
		{"early time-limit timeout", []int{5, 3, 5}, nil, "timeouts", "after 3 steps"},
		{"num_transitions", []int{5, 5}, func(d *Dataset) { d.Meta.NumTransitions = 11 }, "num_transitions", "value 11, but the rows give 10"},
		{"num_episodes", []int{5, 5}, func(d *Dataset) { d.Meta.NumEpisodes = 3 }, "num_episodes", "value 3, but the rows give 2"},
		{"num_terminals", []int{5, 5}, func(d *Dataset) { d.Meta.NumTerminals = 1 }, "num_terminals", "rows give 0"},
		{"num_timeouts", []int{5, 5}, func(d *Dataset) { d.Meta.NumTimeouts = 0 }, "num_timeouts", "rows give 2"},
		{"return_mean", []int{5, 5}, func(d *Dataset) { d.Meta.ReturnMean += 1e-3 }, "return_mean", "rows give"},
		{"normalized_score", []int{5, 5}, func(d *Dataset) { d.Meta.NormalizedScore = 1 }, "normalized_score", "value 1"},
		{"obs_dim", []int{5}, func(d *Dataset) { d.Meta.ObsDim = 3 }, "obs_dim", "value 3, but the rows give 4"},
		{"tail_open", []int{5}, func(d *Dataset) { d.Meta.TailOpen = true }, "tail_open", "value true"},
		{"tail_truncated without a timeout", []int{5}, func(d *Dataset) {
			d.Timeouts[d.Len()-1], d.Terminals[d.Len()-1] = false, true
			d.Meta.NumTimeouts, d.Meta.NumTerminals = 0, 1
			d.Meta.TailTruncated = true
		}, "tail_truncated", "timeouts=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := timeLimitDataset(t, 5, tt.lengths...)
			if tt.edit != nil {
				tt.edit(d)
			}
			err := d.Validate()
			if tt.key == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			wantValidation(t, err, tt.key, -1)
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Validate() = %q, want it to mention %q", err, tt.text)
			}
		})
	}
}

// recompute returns the return statistics the rows of d give under its
// metadata's tail flag.
func recompute(d *Dataset) (mean, std, lo, hi, score float64) {
	var t tally
	for i := range d.Len() {
		t.add(d.Rewards[i], d.Terminals[i], d.Timeouts[i])
	}
	t.finish(d.Meta.TailTruncated)
	m := d.Meta
	t.fill(&m)
	return m.ReturnMean, m.ReturnStd, m.ReturnMin, m.ReturnMax, m.NormalizedScore
}

// TestValidate_RowFaults checks the row-level checks on datasets built in
// memory, which Read would never return.
func TestValidate_RowFaults(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(d *Dataset)
		column string
		row    int64
	}{
		{"NaN action", func(d *Dataset) { d.Actions[3] = float32(nan()) }, "actions", 3},
		{"step gap", func(d *Dataset) { d.Steps[2] = 7 }, "step", 2},
		{"episode id jump", func(d *Dataset) { d.EpisodeIDs[5] = 3 }, "episode_id", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := makeDataset(t, []int{5, 5}, 2, 1, 1)
			tt.edit(d)
			wantValidation(t, d.Validate(), tt.column, tt.row)
		})
	}
	d := makeDataset(t, []int{5}, 2, 1, 1)
	d.Steps = d.Steps[:4]
	if err := d.Validate(); !errors.Is(err, ErrSchema) {
		t.Errorf("Validate() with a short column = %v, want ErrSchema", err)
	}
}

// B18: inside an episode, next_observations[i] must be observations[i+1].
func TestValidate_NextObservationContinuity(t *testing.T) {
	d := timeLimitDataset(t, 5, 5, 5)
	if err := d.Validate(); err != nil {
		t.Fatalf("clean dataset: %v", err)
	}
	d.NextObservations[2*d.ObsDim+1] += 1 // row 2 now disagrees with row 3
	err := d.Validate()
	wantValidation(t, err, "next_observations", 2)
	// Across an episode boundary the two may differ (a reset): row 4 ends
	// the first episode and row 5 starts the next.
	d = timeLimitDataset(t, 5, 5, 5)
	d.NextObservations[4*d.ObsDim] += 1
	if err := d.Validate(); err != nil {
		t.Fatalf("a boundary row's next observation was checked against the next episode: %v", err)
	}
}
