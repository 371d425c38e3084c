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

// feedState consumes one page of a state column slot by slot (state
// columns are a few values per row, so the per-slot walk costs little).
func feedState[T float32 | float64](a *stateAssembler, reps, defs []byte, vals []T) error {
	return walkList(&a.listAssembler, reps, defs, vals, "float64", func(x float64) error {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return a.bad("element %d: value %v, want a finite float64", a.count, x)
		}
		a.out = append(a.out, x)
		return nil
	})
}
