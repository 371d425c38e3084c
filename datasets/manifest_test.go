package datasets

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// validManifest returns the manifest.json of a small two-part dataset.
func validManifest(t testing.TB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d")
	d := makeDataset(t, []int{2, 3, 1}, 2, 1, 8)
	if err := WriteWith(path, d, WriterOptions{PartRows: 2}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(path, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editJSON decodes b into a generic map, applies edit, and encodes it.
func editJSON(t testing.TB, b []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseManifest(t *testing.T) {
	base := validManifest(t)
	shard := func(m map[string]any, i int) map[string]any {
		return m["shards"].([]any)[i].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
		text string // "" means valid
	}{
		{"as written", func(map[string]any) {}, ""},
		{"unknown key", func(m map[string]any) { m["colour"] = "blue" }, `unknown field "colour"`},
		{"future schema", func(m map[string]any) { m["schema_version"] = "2" }, "schema_version"},
		{"no parts", func(m map[string]any) { m["shards"] = []any{} }, "shards"},
		{"zero obs_dim", func(m map[string]any) { m["obs_dim"] = 0 }, "obs_dim"},
		{"path with a directory", func(m map[string]any) { shard(m, 0)["path"] = "sub/part-00000.parquet" }, "plain file name"},
		{"hidden path", func(m map[string]any) { shard(m, 0)["path"] = ".part.parquet" }, "plain file name"},
		{"not parquet", func(m map[string]any) { shard(m, 0)["path"] = "manifest.json" }, "plain file name"},
		{"duplicate path", func(m map[string]any) { shard(m, 1)["path"] = shard(m, 0)["path"] }, "listed twice"},
		{"episode gap", func(m map[string]any) { shard(m, 1)["episodes"] = []any{5, 5} }, "first episode"},
		{"reversed episodes", func(m map[string]any) { shard(m, 0)["episodes"] = []any{1, 0} }, "episodes"},
		{"fewer rows than episodes", func(m map[string]any) { shard(m, 0)["rows"] = 0 }, "fewer than"},
		{"bad hash", func(m map[string]any) { shard(m, 0)["sha256"] = "ABC" }, "sha256"},
		{"zero bytes", func(m map[string]any) { shard(m, 0)["bytes"] = 0 }, "bytes"},
		{"row total", func(m map[string]any) { m["num_transitions"] = 7 }, "num_transitions"},
		{"episode total", func(m map[string]any) { m["num_episodes"] = 4 }, "num_episodes"},
		{"wrong type", func(m map[string]any) { m["obs_dim"] = "two" }, "obs_dim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifest(editJSON(t, base, tt.edit))
			if tt.text == "" {
				if err != nil {
					t.Fatalf("parseManifest = %v, want success", err)
				}
				if len(m.Shards) != 3 || m.NumTransitions != 6 {
					t.Errorf("parseManifest = %d parts, %d rows, want 3, 6",
						len(m.Shards), m.NumTransitions)
				}
				return
			}
			if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("parseManifest = %v, want ErrSchema mentioning %q", err, tt.text)
			}
		})
	}
}

func TestParseManifest_TrailingData(t *testing.T) {
	b := append(validManifest(t), []byte(`{"again":1}`)...)
	if _, err := parseManifest(b); !errors.Is(err, ErrSchema) {
		t.Fatalf("parseManifest with trailing data = %v, want ErrSchema", err)
	}
}

// FuzzParseManifest checks that parseManifest never panics and that a
// manifest it accepts survives encoding and parsing again unchanged.
func FuzzParseManifest(f *testing.F) {
	f.Add(validManifest(f))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schema_version":"1","obs_dim":1,"act_dim":1,"shards":[{"path":"a.parquet",` +
		`"episodes":[0,0],"rows":1,"sha256":"` + strings.Repeat("0", 64) + `","bytes":1}],` +
		`"num_transitions":1,"num_episodes":1}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(&m)
		if err != nil {
			t.Fatalf("accepted manifest does not encode: %v", err)
		}
		m2, err := parseManifest(again)
		if err != nil {
			t.Fatalf("re-encoded manifest rejected: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("manifest changed through encoding:\n%+v\n%+v", m, m2)
		}
	})
}
