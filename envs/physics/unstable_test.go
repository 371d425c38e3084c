package physics

import (
	"errors"
	"strings"
	"testing"
)

// TestStepUnstable checks MuJoCo's stability rule in Step: values beyond
// MaxVal on entry, in an acceleration or after integration are errors
// wrapping ErrUnstable that leave the state as it was, while a large but
// admissible state steps normally.
func TestStepUnstable(t *testing.T) {
	cases := []struct {
		name    string
		model   string
		set     func(d *Data)
		wantErr bool
		want    string // substring of the error
	}{
		// Far from the origin but well inside the bound. (Near 1e8 the
		// world-origin spatial algebra loses every digit and the dynamics
		// turn NaN, which Step reports as unstable; see README.)
		{"qpos large", "half_cheetah", func(d *Data) { d.Qpos[0] = 1e6 }, false, ""},
		{"qpos beyond on entry", "half_cheetah", func(d *Data) { d.Qpos[0] = 2e10 }, true,
			"qpos[0]"},
		{"qvel beyond on entry", "hopper", func(d *Data) { d.Qvel[3] = -1.5e10 }, true,
			"qvel[3]"},
		// Swimmer's quadratic drag turns 1e8 rad/s into a torque of order
		// 1e16, so the first acceleration exceeds the bound.
		{"qacc beyond", "swimmer", func(d *Data) { d.Qvel[2] = 1e8 }, true, "qacc"},
		{"huge ctrl is clamped", "walker2d", func(d *Data) {
			for i := range d.Ctrl {
				d.Ctrl[i] = 1e300
			}
		}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.model)
			if err != nil {
				t.Fatal(err)
			}
			d := NewData(m)
			c.set(d)
			qpos := append([]float64(nil), d.Qpos...)
			qvel := append([]float64(nil), d.Qvel...)
			err = Step(d, 4)
			if !c.wantErr {
				if err != nil {
					t.Fatalf("Step = %v, want nil", err)
				}
				if firstBeyond(d.Qpos) >= 0 || firstBeyond(d.Qvel) >= 0 {
					t.Errorf("state beyond MaxVal after a good step: %v %v", d.Qpos, d.Qvel)
				}
				return
			}
			if !errors.Is(err, ErrUnstable) || errors.Is(err, ErrNonFinite) {
				t.Fatalf("Step = %v, want ErrUnstable without ErrNonFinite", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %s", err, c.want)
			}
			for i := range qpos {
				if d.Qpos[i] != qpos[i] {
					t.Errorf("qpos not restored: %v, want %v", d.Qpos, qpos)
					break
				}
			}
			for i := range qvel {
				if d.Qvel[i] != qvel[i] {
					t.Errorf("qvel not restored: %v, want %v", d.Qvel, qvel)
					break
				}
			}
			if d.Time != 0 {
				t.Errorf("time advanced to %v", d.Time)
			}
		})
	}
}
