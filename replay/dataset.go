package replay

import (
	"fmt"

	"offrl/datasets"
)

// FromDataset returns a buffer holding every transition of d, in order,
// with capacity equal to its length. Rows keep both flags: terminals stop
// the bootstrap, timeouts do not (their next observation is the real one).
func FromDataset(d *datasets.Dataset) (*Buffer, error) {
	if d == nil {
		return nil, fmt.Errorf("replay: no dataset")
	}
	n := d.Len()
	if n == 0 {
		return nil, fmt.Errorf("replay: dataset %s has no transitions", d.Meta.DatasetID)
	}
	od, ad := d.ObsDim, d.ActDim
	if od < 1 || ad < 1 || len(d.Observations) != n*od || len(d.NextObservations) != n*od ||
		len(d.Actions) != n*ad || len(d.Terminals) != n || len(d.Timeouts) != n {
		return nil, fmt.Errorf("replay: dataset %s columns do not match %d rows of obs %d, act %d",
			d.Meta.DatasetID, n, od, ad)
	}
	b := New(n, od, ad)
	for i := range n {
		err := b.Add(Transition{
			Obs:      d.Observations[i*od : (i+1)*od],
			Action:   d.Actions[i*ad : (i+1)*ad],
			NextObs:  d.NextObservations[i*od : (i+1)*od],
			Reward:   d.Rewards[i],
			Terminal: d.Terminals[i],
			Timeout:  d.Timeouts[i],
		})
		if err != nil {
			return nil, fmt.Errorf("dataset %s row %d: %w", d.Meta.DatasetID, i, err)
		}
	}
	return b, nil
}
