package datasets

import (
	"math"

	"github.com/parquet-go/parquet-go"
)

// readState decodes a state column (qpos or qvel) into dst as float64,
// checking every row's length against *dim (learning it from the first
// row when 0) and rejecting NaN and infinite values. DOUBLE is the
// layout's type; FLOAT (D4RL stored infos/qpos as float32) is widened,
// which is exact. base is the file row of the first row decoded.
func readState(c *columnReader, dst *[]float64, dim *int, key string, base int64) error {
	a := &stateAssembler{listAssembler: listAssembler{file: c.file, column: c.spec.name,
		dimKey: key, dim: *dim, base: base, maxDef: c.spec.maxDef, emptyDef: c.spec.emptyDef,
		row: -1}, out: *dst}
	err := c.eachPage(func(p parquet.Page) error {
		vals, err := c.pageValues(p)
		if err != nil {
			return err
		}
		reps, defs := p.RepetitionLevels(), p.DefinitionLevels()
		if c.spec.kind == parquet.Double {
			err = feedState(a, reps, defs, vals.Double())
		} else {
			err = feedState(a, reps, defs, vals.Float())
		}
		c.row = a.base + a.row + 1
		return err
	})
	*dst = a.out
	if err == nil {
		err = a.finish()
	}
	if err == nil && *dim == 0 {
		*dim = a.dim
	}
	return err
}

// stateAssembler is a [listAssembler] whose rows are float64.
type stateAssembler struct {
	listAssembler
	out []float64
}

// feedState consumes one page of a state column slot by slot, as
// feedListSlow does for the float32 columns. State columns are a few
// values per row, so the per-slot loop costs little.
func feedState[T float32 | float64](a *stateAssembler, reps, defs []byte, vals []T) error {
	n := len(defs)
	if n == 0 {
		n = len(reps)
	}
	if len(reps) != n || (len(defs) != 0 && len(defs) != n) {
		return a.bad("page has %d repetition and %d definition levels", len(reps), len(defs))
	}
	vi := 0
	for i := range n {
		if reps[i] == 0 {
			if err := a.endRow(); err != nil {
				return err
			}
			a.row++
			a.count = 0
		} else if a.row < 0 {
			return a.bad("column starts in the middle of a list (repetition level %d)", reps[i])
		}
		def := a.maxDef
		if defs != nil {
			def = int(defs[i])
		}
		switch {
		case def == a.maxDef:
			if vi >= len(vals) {
				return a.bad("page holds %d values, fewer than its definition levels say",
					len(vals))
			}
			x := float64(vals[vi])
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return a.bad("element %d: value %v, want a finite float64", a.count, x)
			}
			a.out = append(a.out, x)
			vi++
			a.count++
			if a.dim > 0 && a.count > a.dim {
				return a.bad("list longer than %s %d", a.dimKey, a.dim)
			}
		case def < a.emptyDef:
			return a.bad("null list, want %d values", a.dim)
		case def > a.emptyDef:
			return a.bad("element %d is null, want a finite float64", a.count)
		}
	}
	if vi != len(vals) {
		return a.bad("page holds %d values but its definition levels use %d", len(vals), vi)
	}
	return nil
}
