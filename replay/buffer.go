// Package replay holds transitions for off-policy learning and samples
// minibatches from them with an explicit, seeded generator into batches that
// are allocated once.
//
//	buf := replay.New(capacity, obsDim, actDim)
//	batch := buf.NewBatch(256)
//	buf.Sample(rng, batch)
package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Buffer is a fixed-capacity ring of transitions stored column by column in
// float32. When full, new transitions overwrite the oldest.
//
// A Buffer is not safe for concurrent use.
type Buffer struct {
	obsDim, actDim int
	capacity       int
	size           int // number of valid rows
	cursor         int // next row to write

	obs, actions, rewards, nextObs []float32
	terminals, timeouts            []bool
}

// New returns an empty buffer for capacity transitions. It panics if a size
// is not positive, which only a programming error can cause.
func New(capacity, obsDim, actDim int) *Buffer {
	if capacity <= 0 || obsDim <= 0 || actDim <= 0 {
		panic(fmt.Sprintf("replay: New(%d, %d, %d)", capacity, obsDim, actDim))
	}
	return &Buffer{
		obsDim: obsDim, actDim: actDim, capacity: capacity,
		obs:       make([]float32, capacity*obsDim),
		actions:   make([]float32, capacity*actDim),
		rewards:   make([]float32, capacity),
		nextObs:   make([]float32, capacity*obsDim),
		terminals: make([]bool, capacity),
		timeouts:  make([]bool, capacity),
	}
}

// Len is the number of transitions held; Cap the capacity.
func (b *Buffer) Len() int { return b.size }

// Cap is the capacity in transitions.
func (b *Buffer) Cap() int { return b.capacity }

// ObsDim and ActDim are the widths of observations and actions.
func (b *Buffer) ObsDim() int { return b.obsDim }

// ActDim is the width of actions.
func (b *Buffer) ActDim() int { return b.actDim }

// Transition is one row to add. Terminal means the episode reached an
// absorbing state (no bootstrap); Timeout that it was cut by a time limit
// (bootstrap from NextObs).
type Transition struct {
	Obs, Action, NextObs []float32
	Reward               float32
	Terminal, Timeout    bool
}

// Add appends one transition, copying its slices. A wrong length or a
// non-finite value is an error naming the field and index; nothing is
// written then.
func (b *Buffer) Add(t Transition) error {
	if err := b.check(t); err != nil {
		return err
	}
	i := b.cursor
	copy(b.obs[i*b.obsDim:(i+1)*b.obsDim], t.Obs)
	copy(b.actions[i*b.actDim:(i+1)*b.actDim], t.Action)
	copy(b.nextObs[i*b.obsDim:(i+1)*b.obsDim], t.NextObs)
	b.rewards[i] = t.Reward
	b.terminals[i], b.timeouts[i] = t.Terminal, t.Timeout
	b.cursor = (b.cursor + 1) % b.capacity
	b.size = min(b.size+1, b.capacity)
	return nil
}

func (b *Buffer) check(t Transition) error {
	fields := []struct {
		name string
		v    []float32
		want int
	}{
		{"obs", t.Obs, b.obsDim},
		{"action", t.Action, b.actDim},
		{"next_obs", t.NextObs, b.obsDim},
		{"reward", []float32{t.Reward}, 1},
	}
	for _, f := range fields {
		if len(f.v) != f.want {
			return fmt.Errorf("replay: %s has %d values, want %d", f.name, len(f.v), f.want)
		}
		for j, x := range f.v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("replay: %s[%d] = %v, want a finite value", f.name, j, x)
			}
		}
	}
	return nil
}

// Batch is a minibatch laid out for the networks: row-major matrices of
// Size rows. Mask is 1 − terminal: it multiplies the bootstrap term, so a
// time-limit end (timeout without terminal) keeps mask 1 and bootstraps.
type Batch struct {
	Size, ObsDim, ActDim int
	Obs, Actions         []float32 // Size×ObsDim, Size×ActDim
	Rewards, Mask        []float32 // Size
	NextObs              []float32 // Size×ObsDim
	Indices              []int     // the buffer rows sampled
}

// NewBatch allocates a batch of size rows for this buffer's widths.
func (b *Buffer) NewBatch(size int) *Batch {
	return &Batch{
		Size: size, ObsDim: b.obsDim, ActDim: b.actDim,
		Obs:     make([]float32, size*b.obsDim),
		Actions: make([]float32, size*b.actDim),
		Rewards: make([]float32, size),
		Mask:    make([]float32, size),
		NextObs: make([]float32, size*b.obsDim),
		Indices: make([]int, size),
	}
}

// Sample fills batch with rows drawn uniformly with replacement, using
// only rng, so equal generator states give equal batches. It returns an
// error if the buffer is empty or the batch has other widths.
func (b *Buffer) Sample(rng *rand.Rand, batch *Batch) error {
	if b.size == 0 {
		return fmt.Errorf("replay: sampling from an empty buffer")
	}
	if batch.ObsDim != b.obsDim || batch.ActDim != b.actDim {
		return fmt.Errorf("replay: batch widths %d/%d, buffer %d/%d", batch.ObsDim, batch.ActDim, b.obsDim, b.actDim)
	}
	od, ad := b.obsDim, b.actDim
	for k := range batch.Size {
		i := rng.IntN(b.size)
		batch.Indices[k] = i
		copy(batch.Obs[k*od:(k+1)*od], b.obs[i*od:(i+1)*od])
		copy(batch.NextObs[k*od:(k+1)*od], b.nextObs[i*od:(i+1)*od])
		copy(batch.Actions[k*ad:(k+1)*ad], b.actions[i*ad:(i+1)*ad])
		batch.Rewards[k] = b.rewards[i]
		batch.Mask[k] = 1
		if b.terminals[i] {
			batch.Mask[k] = 0
		}
	}
	return nil
}

// StateStats returns the per-dimension mean and population standard
// deviation of the stored observations, with eps added to the deviation
// (TD3+BC normalises states this way with eps = 1e-3). Sums run in float64.
func (b *Buffer) StateStats(eps float64) (mean, std []float32) {
	d := b.obsDim
	sum := make([]float64, d)
	sq := make([]float64, d)
	for i := range b.size {
		for j, v := range b.obs[i*d : (i+1)*d] {
			sum[j] += float64(v)
		}
	}
	n := float64(max(b.size, 1))
	mean = make([]float32, d)
	for j := range d {
		sum[j] /= n
		mean[j] = float32(sum[j])
	}
	for i := range b.size {
		for j, v := range b.obs[i*d : (i+1)*d] {
			dv := float64(v) - sum[j]
			sq[j] += dv * dv
		}
	}
	std = make([]float32, d)
	for j := range d {
		std[j] = float32(math.Sqrt(sq[j]/n) + eps)
	}
	return mean, std
}

// NormalizeStates replaces every stored observation and next observation s
// by (s − mean)/std, in place.
func (b *Buffer) NormalizeStates(mean, std []float32) {
	d := b.obsDim
	for _, col := range [][]float32{b.obs, b.nextObs} {
		for i := range b.size {
			row := col[i*d : (i+1)*d]
			for j := range row {
				row[j] = (row[j] - mean[j]) / std[j]
			}
		}
	}
}

// EpisodeReturns splits the stored rows, in order, into trajectories and
// returns each one's undiscounted return. A trajectory ends at a terminal,
// at a timeout, where the next row does not start at this row's next
// observation (a boundary the flags missed, as in D4RL's older files), and
// at the last row: IQL's "done_float" (ikostrikov/implicit_q_learning,
// dataset_utils.py).
func (b *Buffer) EpisodeReturns() []float64 {
	var out []float64
	var ret float64
	d := b.obsDim
	for i := range b.size {
		ret += float64(b.rewards[i])
		end := b.terminals[i] || b.timeouts[i] || i == b.size-1
		if !end {
			next, start := b.nextObs[i*d:(i+1)*d], b.obs[(i+1)*d:(i+2)*d]
			for j := range next {
				if math.Abs(float64(next[j]-start[j])) > 1e-6 {
					end = true
					break
				}
			}
		}
		if end {
			out = append(out, ret)
			ret = 0
		}
	}
	return out
}

// ScaleRewards multiplies every stored reward by k, in place.
func (b *Buffer) ScaleRewards(k float32) {
	for i := range b.rewards[:b.size] {
		b.rewards[i] *= k
	}
}

// ScaleActions replaces every stored action a by clamp(a·k, −limit,
// limit), in place: agents that work in [−1, 1] action units divide by
// the action bound once here.
func (b *Buffer) ScaleActions(k, limit float32) {
	for i, a := range b.actions[:b.size*b.actDim] {
		b.actions[i] = min(max(a*k, -limit), limit)
	}
}

// ShiftRewards adds c to every stored reward, in place.
func (b *Buffer) ShiftRewards(c float32) {
	for i := range b.rewards[:b.size] {
		b.rewards[i] += c
	}
}
