package datasets_test

import (
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
