package envs

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBoxContains(t *testing.T) {
	box := Box{Low: []float64{-1, 0}, High: []float64{1, 2}}
	tests := []struct {
		name string
		x    []float64
		want bool
	}{
		{"inside", []float64{0, 1}, true},
		{"on the bounds", []float64{-1, 2}, true},
		{"below low", []float64{-1.0001, 1}, false},
		{"above high", []float64{0, 2.5}, false},
		{"NaN", []float64{math.NaN(), 1}, false},
		{"+Inf", []float64{0, math.Inf(1)}, false},
		{"too short", []float64{0}, false},
		{"too long", []float64{0, 1, 1}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := box.Contains(tt.x); got != tt.want {
				t.Errorf("Contains(%v) = %v, want %v", tt.x, got, tt.want)
			}
		})
	}
	if box.Dim() != 2 {
		t.Errorf("Dim() = %d, want 2", box.Dim())
	}
}

func TestBoxClip(t *testing.T) {
	box := Box{Low: []float64{-1, 0}, High: []float64{1, 2}}
	tests := []struct {
		name    string
		x, want []float64
	}{
		{"inside unchanged", []float64{0.5, 1.5}, []float64{0.5, 1.5}},
		{"both clipped", []float64{-3, 7}, []float64{-1, 2}},
		{"infinities clipped", []float64{math.Inf(1), math.Inf(-1)}, []float64{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]float64, 2)
			box.Clip(dst, tt.x)
			if dst[0] != tt.want[0] || dst[1] != tt.want[1] {
				t.Errorf("Clip(%v) = %v, want %v", tt.x, dst, tt.want)
			}
			inPlace := append([]float64(nil), tt.x...)
			box.Clip(inPlace, inPlace)
			if inPlace[0] != tt.want[0] || inPlace[1] != tt.want[1] {
				t.Errorf("Clip in place of %v = %v, want %v", tt.x, inPlace, tt.want)
			}
		})
	}

	nan := []float64{math.NaN(), 1}
	box.Clip(nan, nan)
	if !math.IsNaN(nan[0]) {
		t.Errorf("Clip(NaN) = %v, want NaN kept", nan[0])
	}

	defer func() {
		if recover() == nil {
			t.Errorf("Clip with a short dst did not panic")
		}
	}()
	box.Clip(make([]float64, 1), []float64{0, 0})
}

func TestCheckAction(t *testing.T) {
	box := Box{Low: []float64{-2, -2}, High: []float64{2, 2}}
	tests := []struct {
		name    string
		action  []float64
		wantErr string // "" means valid
	}{
		{"inside", []float64{0, 1}, ""},
		{"finite but outside is accepted", []float64{100, -1e300}, ""},
		{"wrong length", []float64{0}, "action has length 1, want 2"},
		{"nil", nil, "action has length 0, want 2"},
		{"NaN", []float64{0, math.NaN()}, "action[1] = NaN"},
		{"+Inf", []float64{math.Inf(1), 0}, "action[0] = +Inf"},
		{"-Inf", []float64{0, math.Inf(-1)}, "action[1] = -Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAction(box, tt.action)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckAction(%v) = %v, want nil", tt.action, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidAction) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckAction(%v) = %v, want ErrInvalidAction naming %q",
					tt.action, err, tt.wantErr)
			}
		})
	}
}

func TestCheckObservation(t *testing.T) {
	tests := []struct {
		name    string
		obs     []float64
		wantErr string // "" means valid
	}{
		{"finite", []float64{0, -1e300}, ""},
		{"wrong length", []float64{0}, "observation has length 1, want 2"},
		{"nil", nil, "observation has length 0, want 2"},
		{"NaN", []float64{0, math.NaN()}, "observation[1] = NaN"},
		{"+Inf", []float64{math.Inf(1), 0}, "observation[0] = +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckObservation(2, tt.obs)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckObservation(2, %v) = %v, want nil", tt.obs, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckObservation(2, %v) = %v, want an error naming %q",
					tt.obs, err, tt.wantErr)
			}
		})
	}
}

func TestUnitAngle(t *testing.T) {
	tests := []struct {
		name     string
		cos, sin float64
		want     float64
		wantErr  bool
	}{
		{"zero", 1, 0, 0, false},
		{"quarter turn", 0, 1, math.Pi / 2, false},
		{"half turn is +π", -1, 0, math.Pi, false},
		{"float32 pair", float64(float32(math.Cos(1))), float64(float32(math.Sin(1))), 1, false},
		{"origin", 0, 0, 0, true},
		{"twice the unit circle", 2, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnitAngle(tt.cos, tt.sin)
			if (err != nil) != tt.wantErr || (!tt.wantErr && math.Abs(got-tt.want) > 1e-7) {
				t.Errorf("UnitAngle(%v, %v) = %v, %v; want %v, error %v",
					tt.cos, tt.sin, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
