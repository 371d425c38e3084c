package policies

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"offrl/nn"
)

func smallActor(t *testing.T, extra map[string]string) (string, ActorSpec) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	spec := ActorSpec{ObsDim: 3, ActDim: 2, Hidden: []int{8}, MaxAction: 0.5, LogStdMin: -5, LogStdMax: 2}
	trunk := nn.NewMLP("actor.trunk", []int{3, 8}, nn.ReLU, nn.ReLU, rng)
	mu := nn.NewMLP("actor.mu", []int{8, 2}, nn.Identity, nn.Identity, rng)
	ls := nn.NewMLP("actor.log_std", []int{8, 2}, nn.Identity, nn.Identity, rng)
	path := filepath.Join(t.TempDir(), "actor.safetensors")
	if err := SaveTanhGaussian(path, spec, trunk, mu, ls, extra); err != nil {
		t.Fatal(err)
	}
	return path, spec
}

// Samples stay inside the action box, vary with the noise, and the
// deterministic action is their centre's squash.
func TestTanhGaussianActsInsideTheBox(t *testing.T) {
	path, spec := smallActor(t, map[string]string{"step": "42"})
	p, err := LoadTanhGaussian(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta()["step"] != "42" || p.Spec().ObsDim != 3 || p.Spec().MaxAction != spec.MaxAction {
		t.Fatalf("meta %v spec %+v", p.Meta(), p.Spec())
	}
	rng := rand.New(rand.NewPCG(2, 2))
	obs := []float64{1, -2, 0.5}
	a, b := make([]float64, 2), make([]float64, 2)
	p.Act(obs, rng, a)
	p.Act(obs, rng, b)
	if a[0] == b[0] {
		t.Fatal("two samples are equal: no noise")
	}
	for range 1000 {
		p.Act(obs, rng, a)
		for _, v := range a {
			if !(math.Abs(v) <= spec.MaxAction) {
				t.Fatalf("action %v outside ±%v", a, spec.MaxAction)
			}
		}
	}
	p.Deterministic = true
	p.Act(obs, nil, a)
	p.Act(obs, nil, b)
	if a[0] != b[0] || a[1] != b[1] {
		t.Fatal("the deterministic action changed")
	}
}

func TestLoadTanhGaussianNamesWhatIsWrong(t *testing.T) {
	if _, err := LoadTanhGaussian(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("a missing file loaded")
	}
	path, _ := smallActor(t, map[string]string{"max_action": "NaN"})
	// extra cannot override the spec's keys: the file is fine.
	if _, err := LoadTanhGaussian(path); err != nil {
		t.Fatalf("extra metadata changed the spec: %v", err)
	}
	ts, meta, err := nn.LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	for key, bad := range map[string]string{"algo": "iql", "obs_dim": "0", "hidden": "[]",
		"log_std_max": "x", "max_action": "-1"} {
		m := map[string]string{}
		for k, v := range meta {
			m[k] = v
		}
		m[key] = bad
		out := filepath.Join(t.TempDir(), "bad.safetensors")
		if err := nn.SaveSafetensors(out, ts, m); err != nil {
			t.Fatal(err)
		}
		_, err := LoadTanhGaussian(out)
		if err == nil || !strings.Contains(err.Error(), out) {
			t.Errorf("%s = %q: err = %v, want an error naming the file", key, bad, err)
		}
	}
	// A tensor of the wrong shape.
	short := append([]nn.Tensor(nil), ts...)
	short[0].Shape = []int{1, 1}
	short[0].Data = []float32{0}
	out := filepath.Join(t.TempDir(), "shape.safetensors")
	if err := nn.SaveSafetensors(out, short, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTanhGaussian(out); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("wrong shape: %v", err)
	}
}
