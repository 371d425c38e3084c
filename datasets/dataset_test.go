package datasets

import (
	"reflect"
	"testing"
)

// flagsDataset builds a dataset with one-value observations whose rows
// carry the given terminal and timeout flags (1 = set) and reward 1 each.
func flagsDataset(terminals, timeouts []int) *Dataset {
	d := &Dataset{ObsDim: 1, ActDim: 1}
	for i := range terminals {
		d.Rewards = append(d.Rewards, 1)
		d.Terminals = append(d.Terminals, terminals[i] == 1)
		d.Timeouts = append(d.Timeouts, timeouts != nil && timeouts[i] == 1)
	}
	return d
}

func TestDataset_Episodes(t *testing.T) {
	tests := []struct {
		name      string
		terminals []int
		timeouts  []int
		want      []Episode
	}{
		{
			// Pitfall B04: consecutive terminal rows each end an episode
			// of one row; no episode is empty.
			name:      "B04 terminals 1100111001 give 6 episodes",
			terminals: []int{1, 1, 0, 0, 1, 1, 1, 0, 0, 1},
			want: []Episode{
				{0, 1, 1, false}, {1, 2, 1, false}, {2, 5, 3, false},
				{5, 6, 1, false}, {6, 7, 1, false}, {7, 10, 3, false},
			},
		},
		{
			name:      "timeouts end episodes like terminals",
			terminals: []int{0, 1, 0, 0},
			timeouts:  []int{1, 0, 0, 1},
			want:      []Episode{{0, 1, 1, false}, {1, 2, 1, false}, {2, 4, 2, false}},
		},
		{
			name:      "a row with both flags ends one episode",
			terminals: []int{0, 1, 0},
			timeouts:  []int{0, 1, 1},
			want:      []Episode{{0, 2, 2, false}, {2, 3, 1, false}},
		},
		{
			name:      "rows after the last flag form an open episode",
			terminals: []int{0, 1, 0, 0},
			want:      []Episode{{0, 2, 2, false}, {2, 4, 2, true}},
		},
		{
			name:      "no flag at all is one open episode",
			terminals: []int{0, 0, 0},
			want:      []Episode{{0, 3, 3, true}},
		},
		{
			name:      "no rows, no episodes",
			terminals: []int{},
			want:      nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := flagsDataset(tt.terminals, tt.timeouts)
			got := d.Episodes()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Episodes() = %v, want %v", got, tt.want)
			}
			for _, ep := range got {
				if ep.End <= ep.Start {
					t.Errorf("Episodes() returned an empty episode %v", ep)
				}
			}
		})
	}
}

func TestDataset_EpisodesReturn(t *testing.T) {
	d := &Dataset{
		Rewards:   []float32{0.5, -1.25, 2, 10},
		Terminals: []bool{false, true, false, false},
		Timeouts:  []bool{false, false, false, true},
	}
	got := d.Episodes()
	want := []Episode{{0, 2, -0.75, false}, {2, 4, 12, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Episodes() = %v, want %v", got, want)
	}
}
