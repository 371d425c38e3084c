package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// columnReader decodes one column of one file into a flat slice, page by
// page, checking levels, lengths and values as it goes. Errors name the
// file, the column and the 0-based row within the file.
type columnReader struct {
	file      string
	spec      columnSpec
	strict    bool // reject DOUBLE and INT64 instead of converting
	converted bool // a DOUBLE or INT64 column was converted
	row       int64

	// chunk, when set, limits decoding to one row group's column chunk;
	// row then starts at that row group's first row within the file.
	chunk parquet.ColumnChunk
}

// bad returns a ValidationError at row.
func (c *columnReader) bad(row int64, reason string, args ...any) error {
	return &ValidationError{File: c.file, Column: c.spec.name, Row: row,
		Reason: fmt.Sprintf(reason, args...)}
}

// checkWidth applies the Strict option to a column stored wider than the
// layout wants.
func (c *columnReader) checkWidth(wide parquet.Kind) error {
	if c.spec.kind != wide {
		return nil
	}
	if c.strict {
		return errorf(ErrSchema, "%s: column %q is %v, want %v (strict read)",
			c.file, c.spec.name, wide, map[parquet.Kind]parquet.Kind{
				parquet.Double: parquet.Float, parquet.Int64: parquet.Int32}[wide])
	}
	c.converted = true
	return nil
}

// eachPage calls fn with every data page of the column, across row groups.
// A page that cannot be read or decoded (checksum mismatch, bad
// compression, truncated chunk) is an error wrapping [ErrCorrupt].
func (c *columnReader) eachPage(fn func(p parquet.Page) error) (err error) {
	defer recoverDecoder(&err)
	var pages parquet.Pages
	if c.chunk != nil {
		pages = c.chunk.Pages()
	} else {
		pages = c.spec.leaf.Pages()
	}
	defer func() { err = errors.Join(err, pages.Close()) }()
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errorf(ErrCorrupt, "%s: column %q: reading the page after row %d: %w",
				c.file, c.spec.name, c.row, err)
		}
		err = fn(p)
		parquet.Release(p)
		if err != nil {
			return err
		}
	}
}

// pageValues returns the non-null values of p, looking indexes up in the
// page's dictionary when it has one.
func (c *columnReader) pageValues(p parquet.Page) (encoding.Values, error) {
	data := p.Data()
	dict := p.Dictionary()
	if dict == nil {
		return data, nil
	}
	idx := data.Int32()
	table := dict.Page().Data()
	switch c.spec.kind {
	case parquet.Float:
		out, err := gather(c, table.Float(), idx)
		return encoding.FloatValues(out), err
	case parquet.Double:
		out, err := gather(c, table.Double(), idx)
		return encoding.DoubleValues(out), err
	case parquet.Int32:
		out, err := gather(c, table.Int32(), idx)
		return encoding.Int32Values(out), err
	case parquet.Int64:
		out, err := gather(c, table.Int64(), idx)
		return encoding.Int64Values(out), err
	}
	return c.lookupBits(table.Boolean(), dict.Len(), idx)
}

// gather looks dictionary indexes up in table.
func gather[T any](c *columnReader, table []T, idx []int32) ([]T, error) {
	out := make([]T, len(idx))
	for i, j := range idx {
		if j < 0 || int(j) >= len(table) {
			return nil, c.bad(c.row, "dictionary index %d outside a dictionary of %d values",
				j, len(table))
		}
		out[i] = table[j]
	}
	return out, nil
}

// lookupBits resolves dictionary indexes into a bit-packed boolean table.
func (c *columnReader) lookupBits(table []byte, n int, idx []int32) (encoding.Values, error) {
	out := make([]byte, (len(idx)+7)/8)
	for i, j := range idx {
		if j < 0 || int(j) >= n || int(j)/8 >= len(table) {
			return encoding.Values{}, c.bad(c.row,
				"dictionary index %d outside a dictionary of %d values", j, n)
		}
		if table[j/8]>>(j%8)&1 != 0 {
			out[i/8] |= 1 << (i % 8)
		}
	}
	return encoding.BooleanValues(out), nil
}

// readList decodes a list column into dst, checking every row's length
// against a.dim (learning it from the first row when a.dim is 0).
func (c *columnReader) readList(a *listAssembler) error {
	if err := c.checkWidth(parquet.Double); err != nil {
		return err
	}
	err := c.eachPage(func(p parquet.Page) error {
		vals, err := c.pageValues(p)
		if err != nil {
			return err
		}
		reps, defs := p.RepetitionLevels(), p.DefinitionLevels()
		if c.spec.kind == parquet.Double {
			err = feedList(a, reps, defs, vals.Double())
		} else {
			err = feedList(a, reps, defs, vals.Float())
		}
		c.row = a.base + a.row + 1
		return err
	})
	if err != nil {
		return err
	}
	return a.finish()
}

// listAssembler rebuilds fixed-length rows from the repetition and
// definition levels of a list column. Its state survives from one page to
// the next, so a row whose values straddle a page boundary (allowed in
// data pages v1) is assembled whole.
type listAssembler struct {
	file, column string
	dimKey       string // metadata key of the expected length, for messages
	dim          int    // expected length; 0 until learnt from the first row
	maxDef       int
	emptyDef     int

	base  int64 // row within the file of the first row assembled, for messages
	row   int64 // current row counted from base, -1 before the first
	count int   // values in the current row so far
	out   []float32
}

// bad returns a ValidationError at the current row.
func (a *listAssembler) bad(reason string, args ...any) error {
	return &ValidationError{File: a.file, Column: a.column, Row: a.base + a.row,
		Reason: fmt.Sprintf(reason, args...)}
}

// endRow checks the length of the row just completed.
func (a *listAssembler) endRow() error {
	if a.row < 0 {
		return nil
	}
	if a.dim == 0 {
		if a.count == 0 {
			return a.bad("empty list, want at least one value")
		}
		a.dim = a.count
	}
	if a.count != a.dim {
		return a.bad("list length %d, want %s %d", a.count, a.dimKey, a.dim)
	}
	return nil
}

// finish checks the last row.
func (a *listAssembler) finish() error { return a.endRow() }

// rows returns the number of rows assembled.
func (a *listAssembler) rows() int64 { return a.row + 1 }

// feedList consumes one page: reps and defs hold one level per value slot
// (nil when the column has none), vals the non-null values in order.
func feedList[T float32 | float64](a *listAssembler, reps, defs []byte, vals []T) error {
	if feedListFast(a, reps, defs, vals) {
		return nil
	}
	return feedListSlow(a, reps, defs, vals)
}

// feedListFast handles the common page, where every slot holds a finite
// value, in bulk: it copies the values at once and finds row starts with
// a byte search instead of a branch per value. On anything unusual it
// restores the assembler and returns false, so that feedListSlow, which
// checks slot by slot, reports the exact row and element.
func feedListFast[T float32 | float64](a *listAssembler, reps, defs []byte, vals []T) bool {
	n := len(vals)
	if n == 0 || len(reps) != n || (defs != nil && len(defs) != n) ||
		(defs != nil && bytes.Count(defs, []byte{byte(a.maxDef)}) != n) {
		return false
	}
	saved := *a
	restore := func() bool {
		a.row, a.count, a.dim, a.out = saved.row, saved.count, saved.dim, saved.out[:len(saved.out)]
		return false
	}

	switch v := any(vals).(type) {
	case []float32:
		start := len(a.out)
		a.out = append(a.out, v...)
		if !allFinite(a.out[start:]) {
			return restore()
		}
	case []float64:
		for _, x := range v {
			if math.IsNaN(x) || math.Abs(x) > math.MaxFloat32 {
				return false
			}
		}
		a.out = slices.Grow(a.out, n)
		for _, x := range v {
			a.out = append(a.out, float32(x))
		}
	}

	for i := 0; i < n; {
		if reps[i] == 0 {
			if a.endRow() != nil {
				return restore()
			}
			a.row++
			a.count = 0
		} else if a.row < 0 {
			return restore()
		}
		run := bytes.IndexByte(reps[i+1:], 0)
		if run < 0 {
			run = n - i - 1
		}
		a.count += run + 1
		if a.dim > 0 && a.count > a.dim {
			return restore()
		}
		i += run + 1
	}
	return true
}

// allFinite reports whether no value of v is NaN or infinite. It is
// branch-free: adding 1 to the lowest exponent bit carries into the sign
// bit only when all exponent bits are set, so OR-ing the sums and testing
// the sign bit once checks every value.
func allFinite(v []float32) bool {
	const exponent, carry = 0x7f800000, 0x00800000
	var acc uint32
	for _, x := range v {
		acc |= math.Float32bits(x)&exponent + carry
	}
	return acc&0x80000000 == 0
}

// feedListSlow consumes a page slot by slot; see feedList.
func feedListSlow[T float32 | float64](a *listAssembler, reps, defs []byte, vals []T) error {
	return walkList(a, reps, defs, vals, "float32", func(x float64) error {
		if math.IsNaN(x) || math.Abs(x) > math.MaxFloat32 {
			return a.bad("element %d: value %v, want a finite float32", a.count, x)
		}
		a.out = append(a.out, float32(x))
		return nil
	})
}

// walkList walks one page of a list column slot by slot: a repetition
// level 0 ends the previous row (checked by endRow), every defined slot
// hands its value to put, which checks and keeps it, and nulls are
// errors naming elem, the element type. The float32 columns and the
// float64 state columns share it.
func walkList[T float32 | float64](a *listAssembler, reps, defs []byte, vals []T, elem string,
	put func(x float64) error) error {
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
			if err := put(float64(vals[vi])); err != nil {
				return err
			}
			vi++
			a.count++
			if a.dim > 0 && a.count > a.dim {
				return a.bad("list longer than %s %d", a.dimKey, a.dim)
			}
		case def < a.emptyDef:
			return a.bad("null list, want %d values", a.dim)
		case def > a.emptyDef:
			return a.bad("element %d is null, want a finite %s", a.count, elem)
		}
	}
	if vi != len(vals) {
		return a.bad("page holds %d values but its definition levels use %d", len(vals), vi)
	}
	return nil
}

// scalarPage checks a scalar page's definition levels (no nulls allowed)
// and returns its number of values.
func (c *columnReader) scalarPage(p parquet.Page) (int, error) {
	if c.spec.maxDef > 0 {
		defs := p.DefinitionLevels()
		for i, d := range defs {
			if int(d) != c.spec.maxDef {
				return 0, c.bad(c.row+int64(i), "null value, want a non-null %v", c.spec.kind)
			}
		}
		return len(defs), nil
	}
	return int(p.NumValues()), nil
}

// readInt32 decodes an INT32 (or, converted, INT64) column into dst.
func (c *columnReader) readInt32(dst []int32) ([]int32, error) {
	if err := c.checkWidth(parquet.Int64); err != nil {
		return dst, err
	}
	err := c.eachPage(func(p parquet.Page) error {
		n, err := c.scalarPage(p)
		if err != nil {
			return err
		}
		vals, err := c.pageValues(p)
		if err != nil {
			return err
		}
		if c.spec.kind == parquet.Int32 {
			v := vals.Int32()
			if len(v) < n {
				return c.bad(c.row, "page holds %d values, want %d", len(v), n)
			}
			dst = append(dst, v[:n]...)
		} else {
			v := vals.Int64()
			if len(v) < n {
				return c.bad(c.row, "page holds %d values, want %d", len(v), n)
			}
			for i, x := range v[:n] {
				if x < math.MinInt32 || x > math.MaxInt32 {
					return c.bad(c.row+int64(i), "value %d does not fit in int32", x)
				}
				dst = append(dst, int32(x))
			}
		}
		c.row += int64(n)
		return nil
	})
	return dst, err
}

// readFloat32 decodes a FLOAT (or, converted, DOUBLE) column into dst,
// rejecting non-finite values.
func (c *columnReader) readFloat32(dst []float32) ([]float32, error) {
	if err := c.checkWidth(parquet.Double); err != nil {
		return dst, err
	}
	err := c.eachPage(func(p parquet.Page) error {
		n, err := c.scalarPage(p)
		if err != nil {
			return err
		}
		vals, err := c.pageValues(p)
		if err != nil {
			return err
		}
		if c.spec.kind == parquet.Double {
			dst, err = appendFinite(c, dst, vals.Double(), n)
		} else {
			dst, err = appendFinite(c, dst, vals.Float(), n)
		}
		c.row += int64(n)
		return err
	})
	return dst, err
}

// appendFinite appends the first n values to dst as float32, failing on a
// NaN, an infinity, or a value outside the float32 range.
func appendFinite[T float32 | float64](
	c *columnReader, dst []float32, v []T, n int,
) ([]float32, error) {
	if len(v) < n {
		return dst, c.bad(c.row, "page holds %d values, want %d", len(v), n)
	}
	for i, x := range v[:n] {
		f := float64(x)
		if math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
			return dst, c.bad(c.row+int64(i), "value %v, want a finite float32", f)
		}
		dst = append(dst, float32(x))
	}
	return dst, nil
}

// readBool decodes a BOOLEAN column into dst.
func (c *columnReader) readBool(dst []bool) ([]bool, error) {
	err := c.eachPage(func(p parquet.Page) error {
		n, err := c.scalarPage(p)
		if err != nil {
			return err
		}
		vals, err := c.pageValues(p)
		if err != nil {
			return err
		}
		bits := vals.Boolean()
		if len(bits)*8 < n {
			return c.bad(c.row, "page holds %d bits, want %d", len(bits)*8, n)
		}
		for i := range n {
			dst = append(dst, bits[i/8]>>(i%8)&1 != 0)
		}
		c.row += int64(n)
		return nil
	})
	return dst, err
}
