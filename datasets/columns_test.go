package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestListAssembler_RowStraddlesPages feeds rows whose values are split
// across page boundaries, as data pages v1 allow (pitfall B14).
func TestListAssembler_RowStraddlesPages(t *testing.T) {
	a := &listAssembler{file: "f", column: "observations", dimKey: "obs_dim",
		dim: 3, maxDef: 1, row: -1}
	pages := []struct {
		reps []byte
		vals []float32
	}{
		{[]byte{0, 1, 1, 0, 1}, []float32{1, 2, 3, 4, 5}}, // row 1 starts here...
		{[]byte{1}, []float32{6}},                         // ...continues on a page of its own...
		{[]byte{0, 1, 1, 0}, []float32{7, 8, 9, 10}},      // ...and row 3 starts at the end
		{[]byte{1, 1}, []float32{11, 12}},
	}
	for i, p := range pages {
		defs := slices.Repeat([]byte{1}, len(p.reps))
		if err := feedList(a, p.reps, defs, p.vals); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
	}
	if err := a.finish(); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if a.rows() != 4 || !slices.Equal(a.out, want) {
		t.Errorf("assembled %d rows %v, want 4 rows %v", a.rows(), a.out, want)
	}
}

func TestListAssembler_Errors(t *testing.T) {
	tests := []struct {
		name     string
		dim      int
		emptyDef int
		maxDef   int
		reps     []byte
		defs     []byte
		vals     []float64
		row      int64
		text     string
	}{
		{"short last row", 2, 0, 1, []byte{0, 1, 0}, []byte{1, 1, 1}, []float64{1, 2, 3}, 1, "list length 1"},
		{"long row", 2, 0, 1, []byte{0, 1, 1}, []byte{1, 1, 1}, []float64{1, 2, 3}, 0, "longer than"},
		{"learnt length differs", 0, 0, 1, []byte{0, 1, 0}, []byte{1, 1, 1}, []float64{1, 2, 3}, 1, "want obs_dim 2"},
		{"starts inside a list", 2, 0, 1, []byte{1, 0}, []byte{1, 1}, []float64{1, 2}, -1, "middle of a list"},
		{"more levels than values", 2, 0, 1, []byte{0, 1}, []byte{1, 1}, []float64{1}, 0, "fewer than"},
		{"more values than levels", 1, 0, 1, []byte{0}, []byte{1}, []float64{1, 2}, 0, "use 1"},
		{"null list", 1, 1, 3, []byte{0}, []byte{0}, nil, 0, "null list"},
		{"empty list", 1, 1, 3, []byte{0, 0}, []byte{1, 3}, []float64{1}, 0, "list length 0"},
		{"null element", 1, 1, 3, []byte{0}, []byte{2}, nil, 0, "element 0 is null"},
		{"NaN", 1, 0, 1, []byte{0}, []byte{1}, []float64{nan()}, 0, "NaN"},
		{"beyond float32", 1, 0, 1, []byte{0}, []byte{1}, []float64{1e39}, 0, "1e+39"},
		{"level counts differ", 1, 0, 1, []byte{0, 0}, []byte{1}, []float64{1}, -1, "repetition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &listAssembler{file: "f", column: "observations", dimKey: "obs_dim", dim: tt.dim,
				maxDef: tt.maxDef, emptyDef: tt.emptyDef, row: -1}
			err := feedList(a, tt.reps, tt.defs, tt.vals)
			if err == nil {
				err = a.finish()
			}
			if err == nil {
				t.Fatal("no error")
			}
			ve := wantValidation(t, err, "observations", tt.row)
			if !strings.Contains(ve.Reason, tt.text) {
				t.Errorf("error %q, want it to mention %q", err, tt.text)
			}
		})
	}
}

func TestAllFinite(t *testing.T) {
	inf, nan32 := float32(math.Inf(1)), float32(math.NaN())
	tests := []struct {
		name string
		v    []float32
		want bool
	}{
		{"empty", nil, true},
		{"ordinary", []float32{0, float32(math.Copysign(0, -1)), 1, -1e-45, 3e38, -math.MaxFloat32, math.SmallestNonzeroFloat32}, true},
		{"+Inf last", []float32{1, 2, inf}, false},
		{"-Inf first", []float32{-inf, 1}, false},
		{"NaN", []float32{1, nan32, 2}, false},
		{"negative NaN", []float32{math.Float32frombits(0xffc00001)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allFinite(tt.v); got != tt.want {
				t.Errorf("allFinite(%v) = %v, want %v", tt.v, got, tt.want)
			}
			for _, x := range tt.v {
				want := !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
				if finite32(x) != want {
					t.Errorf("finite32(%v) = %v, want %v", x, finite32(x), want)
				}
			}
		})
	}
}
