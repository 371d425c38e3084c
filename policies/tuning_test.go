package policies

import (
	"math"
	"os"
	"testing"
)

// The tuning searches below chose the constants of ReacherExpert and
// SwimmerExpert. They are slow and their results are recorded in the
// experts' documentation, so they run only when OFFRL_TUNE is set:
//
//	OFFRL_TUNE=1 go test ./policies -run TestTune -v

// skipUnlessTuning skips t unless OFFRL_TUNE is set.
func skipUnlessTuning(t *testing.T) {
	t.Helper()
	if os.Getenv("OFFRL_TUNE") == "" {
		t.Skip("set OFFRL_TUNE=1 to run the tuning search")
	}
}

// TestTuneReacherGains grids the joint-space PD gains of ReacherExpert
// over 100 episodes each and logs the best.
func TestTuneReacherGains(t *testing.T) {
	skipUnlessTuning(t)
	best, bestPD := math.Inf(-1), reacherPD{}
	for _, kp := range []float64{0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1, 2} {
		for _, kd := range []float64{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.1, 0.2} {
			pd := reacherPD{kp: kp, kd: kd}
			mean, std, err := MeasureReturn("Reacher-v4", pd, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("kp %-5v kd %-5v: %8.3f ± %.3f", kp, kd, mean, std)
			if mean > best {
				best, bestPD = mean, pd
			}
		}
	}
	t.Logf("best: %+v, mean return %.3f", bestPD, best)
}

// TestTuneSwimmerGait grids the travelling-wave gait of SwimmerExpert over
// 10 episodes each (periods that divide the 1000-step episode) and logs
// the best.
func TestTuneSwimmerGait(t *testing.T) {
	skipUnlessTuning(t)
	best, bestGait := math.Inf(-1), swimmerGait{}
	for _, period := range []int{25, 40, 50, 100} {
		for _, lag := range []float64{0.125, 0.2, 0.25, 0.3, 0.5} {
			for _, amplitude := range []float64{1, 3} {
				for _, heading := range []float64{-0.5, 0, 0.3, 0.5, 0.7, 1} {
					g := &swimmerGait{amplitude: amplitude, period: period,
						lag: lag * math.Pi, heading: heading}
					mean, std, err := MeasureReturn("Swimmer-v4", g, 10, 0)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("period %3d lag %5.3fπ amplitude %v heading %4v: %8.3f ± %.3f",
						period, lag, amplitude, heading, mean, std)
					if mean > best {
						best, bestGait = mean, *g
					}
				}
			}
		}
	}
	bestGait.step = 0
	t.Logf("best: %+v, mean return %.3f", bestGait, best)
}
