package envs

import (
	"fmt"
	"math"
)

// Box is a continuous space: the set of vectors x with
// Low[i] ≤ x[i] ≤ High[i] for every i. Low and High have the same length,
// the space's dimension; a Box does not own them and never changes them.
type Box struct {
	Low, High []float64
}

// Dim returns the number of components of a vector in b.
func (b Box) Dim() int { return len(b.Low) }

// Contains reports whether x has b's dimension and every component lies in
// [Low[i], High[i]]. A NaN component is never contained.
func (b Box) Contains(x []float64) bool {
	if len(x) != b.Dim() {
		return false
	}
	for i, v := range x {
		// Written as a negated conjunction so that NaN fails both tests.
		if !(v >= b.Low[i] && v <= b.High[i]) {
			return false
		}
	}
	return true
}

// Clip writes x clamped component-wise to [Low[i], High[i]] into dst.
// dst may alias x. A NaN component stays NaN.
//
// Clip panics if len(dst) or len(x) differs from b.Dim(): that is a
// programming error, not a data error.
func (b Box) Clip(dst, x []float64) {
	if len(x) != b.Dim() || len(dst) != b.Dim() {
		panic(fmt.Sprintf("envs: Box.Clip with len(dst) = %d, len(x) = %d, want %d",
			len(dst), len(x), b.Dim()))
	}
	for i, v := range x {
		dst[i] = math.Min(math.Max(v, b.Low[i]), b.High[i])
	}
}

// CheckAction returns nil if action has b's dimension and only finite
// components, and otherwise an error wrapping [ErrInvalidAction] that names
// the length or the offending index and value.
//
// Finite values outside the box are accepted on purpose: each environment
// treats them as its Gymnasium original does (clipping the force, but for
// example charging the control cost on the unclipped value).
func CheckAction(b Box, action []float64) error {
	if len(action) != b.Dim() {
		return fmt.Errorf("action has length %d, want %d: %w",
			len(action), b.Dim(), ErrInvalidAction)
	}
	for i, v := range action {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("action[%d] = %v, want a finite value: %w",
				i, v, ErrInvalidAction)
		}
	}
	return nil
}

// CheckObservation returns nil if obs has length dim and only finite
// components, and otherwise an error that names the length or the
// offending index and value. Implementations of [StateRebuilder] use it
// before reading an observation.
func CheckObservation(dim int, obs []float64) error {
	if len(obs) != dim {
		return fmt.Errorf("observation has length %d, want %d", len(obs), dim)
	}
	for i, v := range obs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("observation[%d] = %v, want a finite value", i, v)
		}
	}
	return nil
}

// UnitAngle returns the angle atan2(sin, cos) in (−π, π] of an observed
// pair (cos θ, sin θ), or an error naming the pair if its norm is not
// within 1e-3 of 1. The tolerance admits pairs stored as float32 (whose
// norm is off by about 1e-7) and rejects pairs no angle can produce.
func UnitAngle(cos, sin float64) (float64, error) {
	if r := math.Hypot(cos, sin); !(math.Abs(r-1) <= 1e-3) {
		return 0, fmt.Errorf("(cos, sin) = (%v, %v) has norm %v, want 1", cos, sin, r)
	}
	return math.Atan2(sin, cos), nil
}
