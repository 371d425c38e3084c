package interop

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"offrl/collect"
	"offrl/datasets"
)

// synthetic builds a dataset of episodes with the given lengths, values
// from a seeded generator, alternately ending in a terminal and a timeout.
func synthetic(lengths []int, obsDim, actDim int, seed uint64) *datasets.Dataset {
	rng := rand.New(rand.NewPCG(seed, 2))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 3)
		}
		return v
	}
	d := &datasets.Dataset{
		Meta: datasets.Metadata{
			DatasetID:       "pendulum-medium-v0",
			EnvID:           "Pendulum-v1",
			EnvVersion:      []byte(`{"gym_semantics":"v1","engine":"interop-test"}`),
			DatasetKind:     "medium",
			BehaviourPolicy: []byte(`{"algorithm":"random-normal"}`),
			Seed:            []byte(fmt.Sprint(seed)),
			Command:         "go test ./datasets/interop",
			ObsDim:          obsDim,
			ActDim:          actDim,
			RefMinScore:     -1200,
			RefMaxScore:     -150,
			RefSource:       "interop test",
			Dt:              0.05,
			FrameSkip:       1,
			TimeoutsMeaning: datasets.TimeoutsTimeLimit,
			CreatedBy:       "offrl interop test",
			CreatedAt:       "2026-01-01T00:00:00Z",
		},
		ObsDim: obsDim,
		ActDim: actDim,
	}
	for ep, n := range lengths {
		obs := vec(obsDim)
		for step := range n {
			next := vec(obsDim)
			last := step == n-1
			d.EpisodeIDs = append(d.EpisodeIDs, int32(ep))
			d.Steps = append(d.Steps, int32(step))
			d.Observations = append(d.Observations, obs...)
			d.Actions = append(d.Actions, vec(actDim)...)
			d.Rewards = append(d.Rewards, float32(rng.NormFloat64()))
			d.NextObservations = append(d.NextObservations, next...)
			d.Terminals = append(d.Terminals, last && ep%2 == 1)
			d.Timeouts = append(d.Timeouts, last && ep%2 == 0)
			obs = next
		}
	}
	return d
}

// checkDataset reads path with our reader, then checks DuckDB's reading
// of file (path itself, or a glob of its parts) against it, row order
// included.
func checkDataset(t *testing.T, path, file string, firstPart string) {
	t.Helper()
	d, err := datasets.ReadWith(path, datasets.ReadOptions{State: true})
	if err != nil {
		t.Fatalf("our reader: %v", err)
	}
	duck := duckdb(t, file, true)
	compare(t, file, duck, ours(d))
	compareMetadata(t, firstPart, duck, d.Meta)
	checkOrder(t, file, duck.Keys, d)
}

// checkOrder fails unless DuckDB returned the rows in our reader's order,
// which for a directory is the manifest's order of parts. Rewards are
// compared as float32, the type our reader returns.
func checkOrder(t *testing.T, name string, keys [][3]float64, d *datasets.Dataset) {
	t.Helper()
	if len(keys) != d.Len() {
		t.Fatalf("%s: DuckDB returned %d rows, our reader %d", name, len(keys), d.Len())
	}
	for i, k := range keys {
		want := [3]float64{float64(d.EpisodeIDs[i]), float64(d.Steps[i]), float64(d.Rewards[i])}
		// A DOUBLE rewards column reaches our reader rounded to float32.
		k[2] = float64(float32(k[2]))
		if k != want {
			t.Fatalf("%s: row %d: DuckDB (episode_id, step, rewards) = %v, our reader %v",
				name, i, k, want)
		}
	}
}

func TestSingleFileAgreesWithDuckDB(t *testing.T) {
	duckdbScript(t)
	path := filepath.Join(t.TempDir(), "d.parquet")
	d := synthetic([]int{200, 1, 57, 300, 2}, 17, 6, 1)
	opts := datasets.WriterOptions{RowGroupRows: 128, PageBytes: 1024}
	if err := datasets.WriteWith(path, d, opts); err != nil {
		t.Fatal(err)
	}
	checkDataset(t, path, path, path)
}

func TestPartsGlobKeepsManifestOrder(t *testing.T) {
	duckdbScript(t)
	dir := filepath.Join(t.TempDir(), "pendulum-medium-v0")
	lengths := make([]int, 23)
	for i := range lengths {
		lengths[i] = 10 + 37*i%91
	}
	d := synthetic(lengths, 3, 1, 2)
	if err := datasets.WriteWith(dir, d, datasets.WriterOptions{PartRows: 150}); err != nil {
		t.Fatal(err)
	}
	parts, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(parts) < 3 {
		t.Fatalf("want at least 3 parts, got %v (%v)", parts, err)
	}
	glob := filepath.Join(dir, "*.parquet")
	checkDataset(t, dir, glob, parts[0])
	if n := duckdb(t, glob, false).Files; n != len(parts) {
		t.Errorf("DuckDB read %d files, the directory has %d parts", n, len(parts))
	}
}

func TestCollectedDatasetsAgreeWithDuckDB(t *testing.T) {
	duckdbScript(t)
	// Hopper and the maze store the qpos/qvel state columns too; Hopper
	// has no scripted behaviour policy beyond random, and the maze's
	// expert is the waypoint controller's long run.
	kinds := map[string][]string{
		"Pendulum-v1": collect.Kinds, "MountainCarContinuous-v0": collect.Kinds,
		"Hopper-v4": {"random"}, "maze2d-umaze-v1": {"random", "expert"},
	}
	for _, env := range []string{"Pendulum-v1", "MountainCarContinuous-v0", "Hopper-v4", "maze2d-umaze-v1"} {
		for _, kind := range kinds[env] {
			t.Run(env+"/"+kind, func(t *testing.T) {
				t.Parallel()
				out := filepath.Join(t.TempDir(), "d.parquet")
				_, err := collect.Run(context.Background(), collect.Options{
					EnvID: env, Kind: kind, Steps: 2500, Seed: 3, Out: out,
					Command: "go test ./datasets/interop",
				})
				if err != nil {
					t.Fatal(err)
				}
				checkDataset(t, out, out, out)
			})
		}
	}
}

// A sharded collection joined into one directory reads in DuckDB, by a
// glob of its parts, as our reader reads it: the shards, kept beside it in
// <out>.shards/, are not part of the glob.
func TestShardedCollectionAgreesWithDuckDB(t *testing.T) {
	duckdbScript(t)
	dir := filepath.Join(t.TempDir(), "hopper-random-v0")
	_, err := collect.RunShards(context.Background(), collect.Options{
		EnvID: "Hopper-v4", Kind: "random", Steps: 3000, Seed: 5, Out: dir, PartRows: 700,
		Shards: 3}, true)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(parts) < 3 {
		t.Fatalf("want at least 3 parts, got %v (%v)", parts, err)
	}
	glob := filepath.Join(dir, "*.parquet")
	checkDataset(t, dir, glob, parts[0])
}
