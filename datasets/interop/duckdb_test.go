package interop

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"slices"
	"testing"

	"offrl/datasets"

	"github.com/parquet-go/parquet-go"
)

// duckStats is what tools/duckdb/stats.mjs prints for a file or a glob.
type duckStats struct {
	Rows            int64                `json:"rows"`
	SumRewards      float64              `json:"sum_rewards"`
	Terminals       int64                `json:"terminals"`
	Timeouts        int64                `json:"timeouts"`
	Lengths         map[string][2]*int64 `json:"lengths"`
	SumObservations float64              `json:"sum_observations"`
	SumQpos         float64              `json:"sum_qpos"` // 0 without state columns
	SumQvel         float64              `json:"sum_qvel"`
	Episodes        int64                `json:"episodes"`
	Metadata        map[string]string    `json:"metadata"`
	Files           int                  `json:"files"`
	Keys            [][3]float64         `json:"keys"` // episode_id, step, rewards
}

// duckdbScript returns the stats script, or skips the test (fails it
// under `make test`, which sets OFFRL_REQUIRE_DUCKDB=1) when DuckDB or
// node is not available.
func duckdbScript(t *testing.T) string {
	t.Helper()
	script := os.Getenv("OFFRL_DUCKDB_SCRIPT")
	why := ""
	if script == "" {
		why = "OFFRL_DUCKDB_SCRIPT is not set"
	} else if _, err := os.Stat(script); err != nil {
		why = err.Error()
	} else if _, err := exec.LookPath("node"); err != nil {
		why = "node is not installed"
	}
	if why == "" {
		return script
	}
	if os.Getenv("OFFRL_REQUIRE_DUCKDB") == "1" {
		t.Fatalf("DuckDB interop check required but unavailable: %s", why)
	}
	t.Skipf("DuckDB interop check skipped (%s); run `make test`, or "+
		"`make deps` then set OFFRL_DUCKDB_SCRIPT=$PWD/tools/duckdb/stats.mjs", why)
	return ""
}

// duckdb runs the stats script on a path or glob; withKeys asks for the
// rows' (episode_id, step, rewards) in DuckDB's order.
func duckdb(t *testing.T, pathOrGlob string, withKeys bool) duckStats {
	t.Helper()
	args := []string{duckdbScript(t), pathOrGlob}
	if withKeys {
		args = append(args, "--keys")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("node", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("DuckDB on %s: %v\n%s", pathOrGlob, err, stderr.Bytes())
	}
	var s duckStats
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("DuckDB on %s: decoding %q: %v", pathOrGlob, stdout.Bytes(), err)
	}
	return s
}

// ours computes from our reader's dataset the numbers DuckDB reports.
func ours(d *datasets.Dataset) duckStats {
	s := duckStats{Rows: int64(d.Len()), Lengths: map[string][2]*int64{}}
	for i := range d.Len() {
		s.SumRewards += float64(d.Rewards[i])
		if d.Terminals[i] {
			s.Terminals++
		}
		if d.Timeouts[i] {
			s.Timeouts++
		}
	}
	for _, x := range d.Observations {
		s.SumObservations += float64(x)
	}
	seen := map[int32]bool{}
	for _, id := range d.EpisodeIDs {
		seen[id] = true
	}
	s.Episodes = int64(len(seen))
	// Every list of a dataset our reader returns has the declared length.
	obs, act := int64(d.ObsDim), int64(d.ActDim)
	s.Lengths["observations"] = [2]*int64{&obs, &obs}
	s.Lengths["actions"] = [2]*int64{&act, &act}
	s.Lengths["next_observations"] = [2]*int64{&obs, &obs}
	if d.NQ > 0 {
		nq, nv := int64(d.NQ), int64(d.NV)
		s.Lengths["qpos"] = [2]*int64{&nq, &nq}
		s.Lengths["qvel"] = [2]*int64{&nv, &nv}
		for _, x := range d.Qpos {
			s.SumQpos += x
		}
		for _, x := range d.Qvel {
			s.SumQvel += x
		}
	}
	return s
}

// compare fails the test where DuckDB and our reader disagree: counts
// exactly, sums to a relative 1e-6.
func compare(t *testing.T, name string, duck, want duckStats) {
	t.Helper()
	counts := []struct {
		what      string
		got, want int64
	}{
		{"rows", duck.Rows, want.Rows},
		{"terminals", duck.Terminals, want.Terminals},
		{"timeouts", duck.Timeouts, want.Timeouts},
		{"distinct episodes", duck.Episodes, want.Episodes},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s: DuckDB %s = %d, our reader %d", name, c.what, c.got, c.want)
		}
	}
	sums := []struct {
		what      string
		got, want float64
	}{
		{"sum of rewards", duck.SumRewards, want.SumRewards},
		{"sum of observations", duck.SumObservations, want.SumObservations},
		{"sum of qpos", duck.SumQpos, want.SumQpos},
		{"sum of qvel", duck.SumQvel, want.SumQvel},
	}
	for _, c := range sums {
		if !close(c.got, c.want) {
			t.Errorf("%s: DuckDB %s = %.10g, our reader %.10g", name, c.what, c.got, c.want)
		}
	}
	for col := range duck.Lengths {
		if _, ok := want.Lengths[col]; !ok {
			t.Errorf("%s: DuckDB sees column %s, our reader does not", name, col)
		}
	}
	for col, w := range want.Lengths {
		g := duck.Lengths[col]
		if g[0] == nil || g[1] == nil || *g[0] != *w[0] || *g[1] != *w[1] {
			t.Errorf("%s: DuckDB %s lengths = %s, our reader %d..%d",
				name, col, lengths(g), *w[0], *w[1])
		}
	}
}

// close reports whether a and b agree to a relative 1e-6; values near
// zero are compared against the scale 1 so that cancelling sums agree.
func close(a, b float64) bool {
	scale := math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	return math.Abs(a-b) <= 1e-6*scale
}

func lengths(g [2]*int64) string {
	if g[0] == nil || g[1] == nil {
		return "null"
	}
	b, _ := json.Marshal([]int64{*g[0], *g[1]})
	return string(b)
}

// footerKeys returns the sorted key-value metadata keys of a Parquet file
// as parquet-go reads its footer.
func footerKeys(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true))
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	var keys []string
	for _, kv := range pf.Metadata().KeyValueMetadata {
		keys = append(keys, kv.Key)
	}
	slices.Sort(keys)
	return keys
}

// compareMetadata checks DuckDB's footer metadata of file against the
// footer keys and against the values our reader decoded into meta.
func compareMetadata(t *testing.T, file string, duck duckStats, meta datasets.Metadata) {
	t.Helper()
	var got []string
	for k := range duck.Metadata {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := footerKeys(t, file); !slices.Equal(got, want) {
		t.Errorf("%s: DuckDB metadata keys %v, footer keys %v", file, got, want)
	}
	var fromDuck datasets.Metadata
	for _, field := range []struct {
		key string
		dst any
	}{
		{"dataset_id", &fromDuck.DatasetID},
		{"env_id", &fromDuck.EnvID},
		{"dataset_kind", &fromDuck.DatasetKind},
		{"obs_dim", &fromDuck.ObsDim},
		{"act_dim", &fromDuck.ActDim},
	} {
		v, ok := duck.Metadata[field.key]
		if !ok {
			t.Errorf("%s: DuckDB sees no %s in the footer", file, field.key)
			continue
		}
		if err := json.Unmarshal([]byte(v), field.dst); err != nil {
			t.Errorf("%s: DuckDB's %s = %q: %v", file, field.key, v, err)
		}
	}
	if fromDuck.DatasetID != meta.DatasetID || fromDuck.EnvID != meta.EnvID ||
		fromDuck.DatasetKind != meta.DatasetKind ||
		fromDuck.ObsDim != meta.ObsDim || fromDuck.ActDim != meta.ActDim {
		t.Errorf("%s: DuckDB's metadata %q %q %q obs %d act %d, "+
			"our reader's %q %q %q obs %d act %d",
			file, fromDuck.DatasetID, fromDuck.EnvID, fromDuck.DatasetKind,
			fromDuck.ObsDim, fromDuck.ActDim,
			meta.DatasetID, meta.EnvID, meta.DatasetKind, meta.ObsDim, meta.ActDim)
	}
}
