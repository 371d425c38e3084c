package train

import (
	"context"
	"strings"
	"testing"

	"offrl/envs"
	"offrl/envs/registry"
)

// History gives back the run's own transitions, in order, each with the
// exact simulator state before it: restoring that state and stepping
// with the stored action reproduces the stored next observation.
func TestHistoryReplaysTheRun(t *testing.T) {
	cfg := smallOnlineConfig()
	cfg.Env, cfg.Steps, cfg.StartSteps, cfg.BufferSize, cfg.EvalEvery = "Hopper-v4", 400, 150, 1000, 200
	dir := shortRun(t, cfg)
	env, _ := registry.Make("Hopper-v4")
	defer env.Close()
	var rows []Experience
	err := History(context.Background(), dir, 400, func(e Experience) error {
		rows = append(rows, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 400 || rows[0].Episode != 0 || rows[0].Step != 0 {
		t.Fatalf("%d rows, first %+v", len(rows), rows[0])
	}
	episodes := 0
	for k, e := range rows {
		if k > 0 {
			prev := rows[k-1]
			ended := prev.Terminal || prev.Timeout
			if ended && (e.Episode != prev.Episode+1 || e.Step != 0) ||
				!ended && (e.Episode != prev.Episode || e.Step != prev.Step+1) {
				t.Fatalf("row %d: episode %d step %d after episode %d step %d (ended %v)",
					k, e.Episode, e.Step, prev.Episode, prev.Step, ended)
			}
		}
		if e.Terminal || e.Timeout {
			episodes++
		}
		if k%37 != 0 {
			continue
		}
		if _, _, err := env.Reset(0); err != nil {
			t.Fatal(err)
		}
		if err := env.(envs.StateSetter).SetState(e.State); err != nil {
			t.Fatal(err)
		}
		action := make([]float64, len(e.Action))
		for i, a := range e.Action {
			action[i] = float64(a)
		}
		res, err := env.Step(action)
		if err != nil {
			t.Fatal(err)
		}
		if !sameAsStored(res.Obs, e.NextObs) {
			t.Fatalf("row %d: the stored state does not reproduce the stored next observation", k)
		}
	}
	if episodes < 3 {
		t.Fatalf("only %d episodes ended in 400 Hopper steps", episodes)
	}
	if err := History(context.Background(), dir, 401, func(Experience) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "fewer than the 401") {
		t.Fatalf("401 rows of 400: %v", err)
	}
}

func TestHistoryRefusesWhatItCannotReplay(t *testing.T) {
	wrapped := smallOnlineConfig() // 600 steps into a 250-row buffer
	dir := shortRun(t, wrapped)
	if err := History(context.Background(), dir, 100, func(Experience) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "overwritten") {
		t.Fatalf("wrapped buffer: %v", err)
	}
	offline := shortRun(t, smallConfig(t))
	if err := History(context.Background(), offline, 10, func(Experience) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "online") {
		t.Fatalf("offline run: %v", err)
	}
}
