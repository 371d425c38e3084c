package policies

// Reference returns of the MuJoCo control tasks that have scripted experts
// (InvertedPendulum, InvertedDoublePendulum, Reacher, Swimmer), measured
// like the ones in reference.go: MeasureReturn over reset seeds 0..99
// (episodes = 100, seed = 0) on linux/amd64 with Go 1.26, re-measured by
// TestReferenceReturns (go test ./policies -run TestReferenceReturns -v).
// Standard deviations over the 100 episodes:
//
//	task                      random   expert
//	InvertedPendulum-v4        3.280    0.000  (every expert episode 1000)
//	InvertedDoublePendulum-v4 17.939    0.136  (every expert episode full length)
//	Reacher-v4                 4.081    1.783
//	Swimmer-v4                10.457    6.309
//
// The InvertedDoublePendulum expert's 9359.88 is about the task's maximum:
// upright, the tip is at height 1.2, so each step pays 10 − (1.2 − 2)² =
// 9.36 at best. The Swimmer expert is a scripted gait (see
// [SwimmerExpert]); trained agents reach about 40 to 350 depending on the
// algorithm, so its 262 is a strong but not a maximal reference.
var (
	invertedPendulumReference = Reference{
		EnvID:        "InvertedPendulum-v4",
		RandomReturn: 5.68,
		ExpertReturn: 1000,
		Episodes:     100,
		Source:       referenceSource,
	}
	invertedDoublePendulumReference = Reference{
		EnvID:        "InvertedDoublePendulum-v4",
		RandomReturn: 56.941608,
		ExpertReturn: 9359.877229,
		Episodes:     100,
		Source:       referenceSource,
	}
	reacherReference = Reference{
		EnvID:        "Reacher-v4",
		RandomReturn: -42.984659,
		ExpertReturn: -4.269731,
		Episodes:     100,
		Source:       referenceSource,
	}
	swimmerReference = Reference{
		EnvID:        "Swimmer-v4",
		RandomReturn: 1.601512,
		ExpertReturn: 262.126132,
		Episodes:     100,
		Source:       referenceSource,
	}
)
