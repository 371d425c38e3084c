package policies

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"offrl/envs/registry"
)

// Every shipped policy loads, fits its environment and acts inside the
// action box; its task's reference is the measured one.
func TestShippedPolicies(t *testing.T) {
	if len(shipped) == 0 {
		t.Log("no trained policies are shipped in policies/trained")
	}
	for id, e := range shipped {
		env, err := registry.Make(id)
		if err != nil {
			t.Fatal(err)
		}
		obs, _, err := env.Reset(0)
		if err != nil {
			t.Fatal(err)
		}
		box := env.ActionSpace()
		for _, kind := range []string{KindMedium, KindExpert} {
			p, err := ForKind(id, kind)
			if err != nil {
				t.Fatalf("%s %s: %v", id, kind, err)
			}
			tg, ok := p.(*TanhGaussian)
			if !ok || tg.Spec().ObsDim != len(obs) || tg.Spec().ActDim != box.Dim() {
				t.Fatalf("%s %s: %T does not fit the env's spaces", id, kind, p)
			}
			a := make([]float64, box.Dim())
			p.Act(obs, rand.New(rand.NewPCG(1, 1)), a)
			if !box.Contains(a) {
				t.Fatalf("%s %s: action %v outside the box", id, kind, a)
			}
		}
		ref, err := ReferenceFor(id)
		if err != nil || ref.RandomReturn != e.RandomReturn || ref.ExpertReturn != e.ExpertReturn ||
			!strings.Contains(ref.Source, "manifest") {
			t.Fatalf("%s: reference %+v (%v), want the measured one", id, ref, err)
		}
		if math.Abs(e.Medium.NormalizedScore-33) > 10 {
			t.Errorf("%s: medium policy scores %.1f, not about 33", id, e.Medium.NormalizedScore)
		}
		env.Close()
	}
}

func TestReadTrainedManifestNamesBadEntries(t *testing.T) {
	good := `{"Hopper-v4": {"env_id": "Hopper-v4", "medium": {"file": "m"}, "expert": {"file": "e"}, "episodes": 100}}`
	if _, err := ReadTrainedManifest([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"Nope-v0": {"env_id": "Nope-v0", "medium": {"file": "m"}, "expert": {"file": "e"}, "episodes": 1}}`,
		`{"Hopper-v4": {"env_id": "Walker2d-v4", "medium": {"file": "m"}, "expert": {"file": "e"}, "episodes": 1}}`,
		`{"Hopper-v4": {"env_id": "Hopper-v4", "expert": {"file": "e"}, "episodes": 1}}`,
		`{"Hopper-v4": {"env_id": "Hopper-v4", "medium": {"file": "m"}, "expert": {"file": "e"}}}`,
		`[1, 2]`,
	} {
		if _, err := ReadTrainedManifest([]byte(bad)); err == nil || !strings.Contains(err.Error(), "manifest.json") {
			t.Errorf("%s: err = %v, want one naming manifest.json", bad, err)
		}
	}
}
