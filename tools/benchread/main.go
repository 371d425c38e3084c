// Command benchread measures our Parquet reader and writer on a large
// HalfCheetah-shaped dataset (obs 17, act 6); tools/bench-read.sh runs it
// beside DuckDB.
//
//	benchread gen FILE ROWS   write ROWS transitions, print transitions/s
//	benchread read FILE       read FILE fully 5 times, print the best time
//	benchread rss FILE        read FILE once, print peak RSS and array bytes
//
// Output lines are "name: value", for the script to pick up.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"

	"offrl/datasets"
)

const (
	obsDim      = 17
	actDim      = 6
	episodeRows = 1000
	tries       = 5
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchread:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: benchread gen FILE ROWS | read FILE | rss FILE")
	}
	switch args[0] {
	case "gen":
		if len(args) != 3 {
			return fmt.Errorf("usage: benchread gen FILE ROWS")
		}
		rows, err := strconv.Atoi(args[2])
		if err != nil || rows < 1 {
			return fmt.Errorf("bad row count %q", args[2])
		}
		return generate(args[1], rows)
	case "read":
		return timeReads(args[1])
	case "rss":
		return peakRSS(args[1])
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

// generate writes rows transitions in episodes of 1,000 steps through a
// Writer, with observations that drift like a simulator's rather than
// white noise, so compression sees realistic data.
func generate(path string, rows int) error {
	meta := datasets.Metadata{
		DatasetID:       "halfcheetah-medium-v0",
		EnvID:           "HalfCheetah-v4",
		EnvVersion:      []byte(`{"gym_semantics":"v4","engine":"benchread"}`),
		DatasetKind:     "medium",
		BehaviourPolicy: []byte(`{"algorithm":"synthetic"}`),
		Seed:            []byte(`1`),
		Command:         "benchread gen",
		ObsDim:          obsDim,
		ActDim:          actDim,
		RefMinScore:     -280,
		RefMaxScore:     12135,
		RefSource:       "D4RL infos.py",
		Dt:              0.05,
		FrameSkip:       5,
		TimeoutsMeaning: datasets.TimeoutsTimeLimit,
		CreatedBy:       "offrl benchread",
	}
	w, err := datasets.NewWriter(path, meta, datasets.WriterOptions{Overwrite: true})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	obs, next := make([]float32, obsDim), make([]float32, obsDim)
	act := make([]float32, actDim)
	start := time.Now()
	for i := range rows {
		step := i % episodeRows
		if step == 0 {
			for j := range obs {
				obs[j] = float32(rng.NormFloat64() * 0.1)
			}
		}
		for j := range next {
			next[j] = obs[j] + float32(rng.NormFloat64()*0.05)
		}
		for j := range act {
			act[j] = float32(rng.Float64()*2 - 1)
		}
		t := datasets.Transition{
			EpisodeID: int32(i / episodeRows), Step: int32(step),
			Obs: obs, Action: act, NextObs: next,
			Reward:  float32(rng.NormFloat64() + 4),
			Timeout: step == episodeRows-1 || i == rows-1,
		}
		if err := w.Append(t); err != nil {
			return errors.Join(err, w.Abort())
		}
		obs, next = next, obs
	}
	if err := w.Close(); err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("write_seconds: %.3f\n", secs)
	fmt.Printf("write_transitions_per_s: %.0f\n", float64(rows)/secs)
	fmt.Printf("file_bytes: %d\n", fi.Size())
	return nil
}

// timeReads reads the whole file tries times and prints the best time.
func timeReads(path string) error {
	best := 0.0
	rows := 0
	for i := range tries {
		runtime.GC()
		start := time.Now()
		d, err := datasets.ReadWith(path, datasets.ReadOptions{})
		if err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		if i == 0 || secs < best {
			best = secs
		}
		rows = d.Len()
	}
	fmt.Printf("gomaxprocs: %d\n", runtime.GOMAXPROCS(0))
	fmt.Printf("rows: %d\n", rows)
	fmt.Printf("read_seconds: %.4f\n", best)
	return nil
}

// peakRSS reads the file once and prints the process's peak resident set
// (VmHWM) next to the bytes of the arrays the reader returned.
func peakRSS(path string) error {
	d, err := datasets.Read(path)
	if err != nil {
		return err
	}
	arrays := 4*len(d.EpisodeIDs) + 4*len(d.Steps) + 4*len(d.Observations) +
		4*len(d.Actions) + 4*len(d.Rewards) + 4*len(d.NextObservations) +
		len(d.Terminals) + len(d.Timeouts)
	hwm, err := vmHWM()
	if err != nil {
		return err
	}
	fmt.Printf("array_bytes: %d\n", arrays)
	fmt.Printf("peak_rss_bytes: %d\n", hwm)
	runtime.KeepAlive(d)
	return nil
}

// vmHWM returns the peak resident set size from /proc/self/status.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		var kib int64
		if _, err := fmt.Sscanf(string(rest), "%d kB", &kib); err != nil {
			return 0, fmt.Errorf("parsing VmHWM %q: %w", rest, err)
		}
		return kib * 1024, nil
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
