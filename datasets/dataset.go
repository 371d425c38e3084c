package datasets

// Dataset holds a whole dataset in memory, column by column, with rows
// ordered by (episode_id, step). Row i's observation is
// Observations[i*ObsDim : (i+1)*ObsDim], and likewise for Actions (stride
// ActDim) and NextObservations (stride ObsDim). Every column has Len()
// rows.
//
// NextObservations holds the real observation returned by the step, also
// on an episode's last row (never the next episode's reset observation).
//
// Qpos and Qvel hold the optional state columns: the simulator state
// before each row's step, row i's at Qpos[i*NQ : (i+1)*NQ] and
// Qvel[i*NV : (i+1)*NV], float64 as stored. They are nil and NQ = NV = 0
// when the dataset has no state columns, and also when it was read
// without [ReadOptions.State] (Meta.NQ and Meta.NV still say whether the
// file has them).
type Dataset struct {
	Meta             Metadata
	ObsDim, ActDim   int
	NQ, NV           int // widths of Qpos and Qvel; 0 without state
	EpisodeIDs       []int32
	Steps            []int32
	Observations     []float32 // Len()*ObsDim values, row-major
	Actions          []float32 // Len()*ActDim values, row-major
	Rewards          []float32
	NextObservations []float32 // Len()*ObsDim values, row-major
	Terminals        []bool
	Timeouts         []bool
	Qpos             []float64 // Len()*NQ values, row-major, or nil
	Qvel             []float64 // Len()*NV values, row-major, or nil
}

// Episode is a range of rows of a [Dataset] that forms one episode.
type Episode struct {
	Start, End int     // row range [Start, End); End > Start
	Return     float64 // undiscounted sum of the episode's rewards
	Open       bool    // the last row has neither terminal nor timeout set
}

// Len returns the number of transitions (rows).
func (d *Dataset) Len() int { return len(d.Rewards) }

// Episodes splits the rows into episodes. An episode ends at every row
// whose terminal or timeout flag is set; rows after the last such row form
// one more episode marked Open. Every episode holds at least one row, so
// consecutive flagged rows give consecutive one-row episodes.
//
// Episodes uses only the flags and rewards; it does not look at
// EpisodeIDs. It panics if Terminals, Timeouts and Rewards differ in
// length, which [Read] never produces.
func (d *Dataset) Episodes() []Episode {
	n := d.Len()
	if len(d.Terminals) != n || len(d.Timeouts) != n {
		panic("datasets: Episodes: Terminals, Timeouts and Rewards differ in length")
	}
	var eps []Episode
	start := 0
	ret := 0.0
	for i := range n {
		ret += float64(d.Rewards[i])
		if d.Terminals[i] || d.Timeouts[i] {
			eps = append(eps, Episode{Start: start, End: i + 1, Return: ret})
			start, ret = i+1, 0
		}
	}
	if start < n {
		eps = append(eps, Episode{Start: start, End: n, Return: ret, Open: true})
	}
	return eps
}

// CompleteEpisodes returns the episodes that count for the return
// statistics of the metadata: every episode of [Dataset.Episodes] except an
// open one, the last one when tail_truncated is set, and in a merged
// dataset those that end where a source with tail_cut ends (see
// [Source]).
func (d *Dataset) CompleteEpisodes() []Episode {
	cuts := cutEnds(d.Meta.Sources)
	eps := d.Episodes()
	out := make([]Episode, 0, len(eps))
	for k, ep := range eps {
		last := k == len(eps)-1
		if ep.Open || (last && d.Meta.TailTruncated) || cuts[int64(ep.End)] {
			continue
		}
		out = append(out, ep)
	}
	return out
}

// transition returns row i as a Transition whose slices alias d's columns.
func (d *Dataset) transition(i int) Transition {
	o, a := d.ObsDim, d.ActDim
	var qpos, qvel []float64
	if d.NQ > 0 {
		qpos, qvel = d.Qpos[i*d.NQ:(i+1)*d.NQ], d.Qvel[i*d.NV:(i+1)*d.NV]
	}
	return Transition{
		Qpos: qpos, Qvel: qvel,
		EpisodeID: d.EpisodeIDs[i],
		Step:      d.Steps[i],
		Obs:       d.Observations[i*o : (i+1)*o],
		Action:    d.Actions[i*a : (i+1)*a],
		NextObs:   d.NextObservations[i*o : (i+1)*o],
		Reward:    d.Rewards[i],
		Terminal:  d.Terminals[i],
		Timeout:   d.Timeouts[i],
	}
}

// State returns row i's stored simulator state, qpos ++ qvel in a new
// slice (the layout envs.StateSetter.SetState accepts), or nil when d
// holds no state columns.
func (d *Dataset) State(i int) []float64 {
	if d.NQ == 0 {
		return nil
	}
	s := make([]float64, 0, d.NQ+d.NV)
	s = append(s, d.Qpos[i*d.NQ:(i+1)*d.NQ]...)
	return append(s, d.Qvel[i*d.NV:(i+1)*d.NV]...)
}
