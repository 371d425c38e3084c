package main

// paperScore is a reported D4RL normalised score (0 = random, 100 =
// expert) of an algorithm on a dataset, as carried over from the specs
// (specs/algorithms.md §1.4 and §3.4); the product never reads the specs.
type paperScore struct {
	// Mean and Std (NaN-free; Std 0 when not reported) of the confirmed
	// number, and Source naming where it comes from.
	Mean, Std float64
	HasStd    bool
	// Confirmed is false for numbers the spec marks [unconfirmed] or
	// confirmed only through a secondary summary.
	Confirmed bool
	Source    string
}

// corl is the source of the confirmed TD3+BC and IQL numbers: the CORL
// single-file reimplementations' "last" scores, 4 seeds, D4RL v2
// (corl-team/CORL README.md), as listed in specs/algorithms.md §1.4.
const corl = "CORL"

// iqlTable1 is the source of the original papers' numbers as printed in
// the IQL paper's Table 1 (Kostrikov et al., ICLR 2022), D4RL v2; the spec
// (§1.4) recalls them and marks them [unconfirmed].
const iqlTable1 = "IQL paper Table 1"

// a2prSecondary is the source of the two A2PR numbers the spec (§3.4)
// confirms only through a secondary summary of Liu et al., ICML 2024.
const a2prSecondary = "A2PR paper via a secondary summary"

// paperScores maps algorithm, then the D4RL dataset name (task-kind,
// without version: our <task>-<kind>-v1 is compared with D4RL's -v2),
// to its reported scores, the confirmed one first.
var paperScores = map[string]map[string][]paperScore{
	"td3bc": {
		"halfcheetah-medium":        {{48.10, 0.18, true, true, corl}, {48.3, 0, false, false, iqlTable1}},
		"halfcheetah-medium-replay": {{44.84, 0.59, true, true, corl}, {44.6, 0, false, false, iqlTable1}},
		"halfcheetah-medium-expert": {{90.78, 6.04, true, true, corl}, {90.7, 0, false, false, iqlTable1}},
		"hopper-medium":             {{60.37, 3.49, true, true, corl}, {59.3, 0, false, false, iqlTable1}},
		"hopper-medium-replay":      {{64.42, 21.52, true, true, corl}, {60.9, 0, false, false, iqlTable1}},
		"hopper-medium-expert":      {{101.17, 9.07, true, true, corl}, {98.0, 0, false, false, iqlTable1}},
		"walker2d-medium":           {{82.71, 4.78, true, true, corl}, {83.7, 0, false, false, iqlTable1}},
		"walker2d-medium-replay":    {{85.62, 4.01, true, true, corl}, {81.8, 0, false, false, iqlTable1}},
		"walker2d-medium-expert":    {{110.03, 0.36, true, true, corl}, {110.1, 0, false, false, iqlTable1}},
	},
	"iql": {
		"halfcheetah-medium":        {{48.31, 0.22, true, true, corl}, {47.4, 0, false, false, iqlTable1}},
		"halfcheetah-medium-replay": {{44.46, 0.22, true, true, corl}, {44.2, 0, false, false, iqlTable1}},
		"halfcheetah-medium-expert": {{94.74, 0.52, true, true, corl}, {86.7, 0, false, false, iqlTable1}},
		"hopper-medium":             {{67.53, 3.78, true, true, corl}, {66.3, 0, false, false, iqlTable1}},
		"hopper-medium-replay":      {{97.43, 6.39, true, true, corl}, {94.7, 0, false, false, iqlTable1}},
		"hopper-medium-expert":      {{107.42, 7.80, true, true, corl}, {91.5, 0, false, false, iqlTable1}},
		"walker2d-medium":           {{80.91, 3.17, true, true, corl}, {78.3, 0, false, false, iqlTable1}},
		"walker2d-medium-replay":    {{82.15, 3.03, true, true, corl}, {73.9, 0, false, false, iqlTable1}},
		"walker2d-medium-expert":    {{111.72, 0.86, true, true, corl}, {109.6, 0, false, false, iqlTable1}},
	},
	"a2pr": {
		"halfcheetah-medium-replay": {{56.6, 0, false, false, a2prSecondary}},
		"hopper-medium":             {{100.8, 0, false, false, a2prSecondary}},
	},
}

// paperFor returns the reported scores of algo on the dataset with the
// given D4RL task-kind name, or nil.
func paperFor(algo, taskKind string) []paperScore {
	return paperScores[algo][taskKind]
}
