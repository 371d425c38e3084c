package datasets_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"offrl/datasets"
)

// Example writes two short episodes to a dataset directory and reads them
// back.
func Example() {
	dir, err := os.MkdirTemp("", "datasets-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pendulum-expert-v0")

	meta := datasets.Metadata{
		DatasetID: "pendulum-expert-v0", DatasetKind: "expert", EnvID: "Pendulum-v1",
		ObsDim: 3, ActDim: 1, MaxEpisodeSteps: 2,
		RefMinScore: -10, RefMaxScore: 0,
		CreatedAt: "2025-01-01T00:00:00Z",
	}
	w, err := datasets.NewWriter(path, meta, datasets.WriterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for ep := range int32(2) {
		for step := range int32(2) {
			err := w.Append(datasets.Transition{
				EpisodeID: ep, Step: step,
				Obs: []float32{1, 0, 0}, Action: []float32{0.5}, NextObs: []float32{1, 0, 0},
				Reward:  -1,
				Timeout: step == 1, // the time limit ends each episode
			})
			if err != nil {
				log.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	d, err := datasets.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, ep := range d.Episodes() {
		fmt.Printf("rows %d-%d return %.1f\n", ep.Start, ep.End-1, ep.Return)
	}
	fmt.Printf("%d transitions, normalized score %.0f\n",
		d.Meta.NumTransitions, d.Meta.NormalizedScore)
	// Output:
	// rows 0-1 return -2.0
	// rows 2-3 return -2.0
	// 4 transitions, normalized score 80
}

func ExampleParseID() {
	task, kind, version, err := datasets.ParseID("maze2d-umaze-expert-v1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(task, kind, version)
	fmt.Println(datasets.FormatID(task, "medium-replay", 0))
	// Output:
	// maze2d-umaze expert 1
	// maze2d-umaze-medium-replay-v0
}

// ExampleMerge builds a medium-expert dataset from a medium and an expert
// file: the rows follow each other and the metadata lists both sources.
func ExampleMerge() {
	dir, err := os.MkdirTemp("", "datasets-merge-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Two one-episode datasets of 2 and 3 steps.
	var sources []string
	for k, kind := range []string{"medium", "expert"} {
		d := &datasets.Dataset{ObsDim: 1, ActDim: 1, Meta: datasets.Metadata{
			DatasetID: "pendulum-" + kind + "-v0", EnvID: "Pendulum-v1",
			RefMinScore: -10, RefMaxScore: 0, CreatedAt: "2025-01-01T00:00:00Z"}}
		for step := range int32(2 + k) {
			d.EpisodeIDs, d.Steps = append(d.EpisodeIDs, 0), append(d.Steps, step)
			d.Observations = append(d.Observations, float32(step))
			d.NextObservations = append(d.NextObservations, float32(step+1))
			d.Actions, d.Rewards = append(d.Actions, 0), append(d.Rewards, -1)
			d.Terminals = append(d.Terminals, step == 1+int32(k))
			d.Timeouts = append(d.Timeouts, false)
		}
		path := filepath.Join(dir, kind+".parquet")
		if err := datasets.Write(path, d); err != nil {
			log.Fatal(err)
		}
		sources = append(sources, path)
	}

	out := filepath.Join(dir, "pendulum-medium-expert-v0")
	meta, err := datasets.Merge(context.Background(), out, sources,
		datasets.MergeOptions{DatasetID: "pendulum-medium-expert-v0", Kind: "medium-expert"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(meta.DatasetID, meta.NumTransitions, "rows,", meta.NumEpisodes, "episodes")
	for _, s := range meta.Sources {
		fmt.Println(s.DatasetID, s.Rows, "rows")
	}
	// Output:
	// pendulum-medium-expert-v0 5 rows, 2 episodes
	// pendulum-medium-v0 2 rows
	// pendulum-expert-v0 3 rows
}
