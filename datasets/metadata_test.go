package datasets

import (
	"errors"
	"reflect"
	"testing"
)

func TestMetadata_KeyValuesRoundTrip(t *testing.T) {
	m := testMeta(3, 2)
	m.ActionLow, m.ActionHigh = []float64{-1, -2}, []float64{1, 2}
	m.Sources = []Source{{DatasetID: "hopper-medium-v0", SHA256: "ab", Rows: 10}}
	m.NumEpisodes, m.ReturnStd, m.TailTruncated = 4, 0.25, true
	m.NQ, m.NV = 4, 3
	kv, err := m.keyValues("f")
	if err != nil {
		t.Fatal(err)
	}
	if len(kv) != len(metadataFields()) {
		t.Fatalf("keyValues gave %d keys, want one per field (%d)", len(kv), len(metadataFields()))
	}
	lookup := func(k string) (string, bool) {
		for _, p := range kv {
			if p[0] == k {
				return p[1], true
			}
		}
		return "", false
	}
	got, err := metadataFromLookup("f", lookup)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("metadata after a round trip = %+v, want %+v", got, m)
	}
}

// Without state columns nq and nv are left out of the footer, so that such
// files keep the bytes they had before the keys existed.
func TestMetadata_KeyValuesOmitAbsentState(t *testing.T) {
	m := testMeta(3, 2)
	kv, err := m.keyValues("f")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range kv {
		if p[0] == "nq" || p[0] == "nv" {
			t.Fatalf("key %s = %s written for a dataset without state", p[0], p[1])
		}
	}
	if len(kv) != len(metadataFields())-2 {
		t.Fatalf("keyValues gave %d keys, want %d", len(kv), len(metadataFields())-2)
	}
}

func TestMetadataFromLookup(t *testing.T) {
	tests := []struct {
		name string
		kv   map[string]string
		want Metadata
		key  string // key of the expected error; "" for none
	}{
		{"JSON values", map[string]string{"dataset_id": `"hopper-medium-v2"`, "obs_dim": "11"},
			Metadata{DatasetID: "hopper-medium-v2", ObsDim: 11}, ""},
		{"unquoted text from another tool", map[string]string{"env_id": "Hopper-v4", "env_version": "v4"},
			Metadata{EnvID: "Hopper-v4", EnvVersion: []byte(`"v4"`)}, ""},
		{"unknown keys are ignored", map[string]string{"pandas": "{}", "ARROW:schema": "xyz"}, Metadata{}, ""},
		{"null raw JSON is nil", map[string]string{"seed": "null", "behaviour_policy": " { \"a\" : 1 } "},
			Metadata{BehaviourPolicy: []byte(`{"a":1}`)}, ""},
		{"number that is not JSON", map[string]string{"obs_dim": "eleven"}, Metadata{}, "obs_dim"},
		{"wrong JSON type", map[string]string{"num_episodes": `"4"`}, Metadata{}, "num_episodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metadataFromLookup("f.parquet", func(k string) (string, bool) {
				v, ok := tt.kv[k]
				return v, ok
			})
			if tt.key != "" {
				if !errors.Is(err, ErrSchema) {
					t.Fatalf("metadataFromLookup = %v, want ErrSchema", err)
				}
				wantValidation(t, err, tt.key, -1)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metadataFromLookup = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizedScore_B05(t *testing.T) {
	tests := []struct {
		name        string
		ret, lo, hi float64
		want        float64
	}{
		{"expert return scores 100", 12135, -280.178953, 12135, 100},
		{"random return scores 0", -280.178953, -280.178953, 12135, 0},
		{"halfway scores 50", 5, 0, 10, 50},
		{"undefined scale gives 0", 3, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizedScore(tt.ret, tt.lo, tt.hi); got != tt.want {
				t.Errorf("NormalizedScore(%v, %v, %v) = %v, want %v", tt.ret, tt.lo, tt.hi, got, tt.want)
			}
		})
	}
}
