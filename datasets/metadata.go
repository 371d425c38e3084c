package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// SchemaVersion is the layout version this package writes and reads, stored
// under the metadata key schema_version.
const SchemaVersion = "1"

// MaxDim is the largest obs_dim or act_dim accepted, 2^24 values per row;
// larger claims in a file are treated as damage.
const MaxDim = 1 << 24

// Metadata describes a dataset: where it comes from, its shape and counts,
// and its reference scores. Each field is one key of specs/datasets.md
// §5.3. A Parquet footer stores every key under its JSON name, with the
// field's JSON encoding as the value (so strings keep their quotes:
// dataset_id = "hopper-medium-v0", obs_dim = 11).
//
// The derived fields (the counts, the return statistics, the normalized
// score and tail_open) are computed by [Writer.Close] from the rows and
// overwrite whatever the caller set.
type Metadata struct {
	// Identity and provenance. The raw JSON fields hold any JSON value:
	// env_version "v4" or {"gym_semantics":"v4","engine":...};
	// behaviour_policy the algorithm, checkpoint, network and noise; seed
	// the base seed and the per-episode seed rule.
	SchemaVersion   string          `json:"schema_version"` // the writer sets [SchemaVersion]
	DatasetID       string          `json:"dataset_id"`     // "<task>-<kind>-v<N>" or empty
	EnvID           string          `json:"env_id"`         // e.g. "Hopper-v4"
	EnvVersion      json.RawMessage `json:"env_version"`
	DatasetKind     string          `json:"dataset_kind"` // random, medium, expert, ...
	BehaviourPolicy json.RawMessage `json:"behaviour_policy"`
	Seed            json.RawMessage `json:"seed"`
	Command         string          `json:"command"` // command line that made the data

	// Shapes. ActionLow and ActionHigh are nil or ActDim long.
	ObsDim     int       `json:"obs_dim"` // observation length, ≥ 1
	ActDim     int       `json:"act_dim"` // action length, ≥ 1
	ActionLow  []float64 `json:"action_low"`
	ActionHigh []float64 `json:"action_high"`

	// State layout: the widths of the optional qpos and qvel columns
	// (the simulator state before each step, specs/datasets.md §5.2),
	// both ≥ 1 when the dataset stores them and both 0 (and then absent
	// from the footer and the manifest) when it does not.
	NQ int `json:"nq,omitempty"`
	NV int `json:"nv,omitempty"`

	// Derived counts and returns. Returns are undiscounted sums over
	// complete episodes; ReturnStd is the population standard deviation;
	// NormalizedScore is on the 0–100 scale of [NormalizedScore], 0 when
	// ref_max_score equals ref_min_score. All are 0 without a complete
	// episode.
	NumEpisodes     int64   `json:"num_episodes"` // an open tail included
	NumTransitions  int64   `json:"num_transitions"`
	NumTerminals    int64   `json:"num_terminals"`
	NumTimeouts     int64   `json:"num_timeouts"`
	ReturnMean      float64 `json:"return_mean"`
	ReturnStd       float64 `json:"return_std"`
	ReturnMin       float64 `json:"return_min"`
	ReturnMax       float64 `json:"return_max"`
	NormalizedScore float64 `json:"normalized_score"`

	// Tail flags. TailTruncated: the collection budget cut the last
	// episode, whose last row has timeouts=true (set by the caller, or
	// derived by Close). TailOpen (derived): the last row has neither
	// flag, which only imported data may have.
	TailTruncated bool `json:"tail_truncated"`
	TailOpen      bool `json:"tail_open"`

	// Provenance of merged datasets and reference scores.
	Sources     []Source `json:"sources"`       // merged datasets: the sources, in order
	RefMinScore float64  `json:"ref_min_score"` // return of the random reference policy
	RefMaxScore float64  `json:"ref_max_score"` // return of the expert reference policy
	RefSource   string   `json:"ref_source"`    // where the reference scores come from

	// Time. TimeoutsMeaning is empty or [TimeoutsTimeLimit], or
	// [TimeoutsGoalSwitch] for maze data whose flags mark goal changes.
	MaxEpisodeSteps int     `json:"max_episode_steps"` // time limit in steps; 0 if none
	Dt              float64 `json:"dt"`                // seconds of simulated time per step
	FrameSkip       int     `json:"frame_skip"`        // simulator steps per environment step
	TimeoutsMeaning string  `json:"timeouts_meaning"`

	// Creation. CreatedAt is RFC 3339 UTC; the writer fills it with the
	// current time when empty, unless asked for reproducible output, in
	// which case it may stay empty.
	CreatedBy string `json:"created_by"` // toolkit name and version
	CreatedAt string `json:"created_at"`
}

// Source names one dataset a merged dataset was built from, in the order
// the merged rows hold them: source k's rows follow those of sources 0 to
// k-1.
//
// TailCut says that the source's last episode did not end by itself: the
// collection budget cut it (tail_truncated) or, in imported data, it had no
// end flag (tail_open). Inside the merged data that episode ends with
// timeouts=true after fewer steps than the time limit may allow, so
// [Dataset.Validate] exempts it from the time-limit rule and the return
// statistics leave it out, as they leave out a truncated last episode.
type Source struct {
	DatasetID string `json:"dataset_id"`
	SHA256    string `json:"sha256"` // hex SHA-256 of the source's content
	Rows      int64  `json:"rows"`
	TailCut   bool   `json:"tail_cut,omitempty"`
}

// cutEnds returns the row counts, from the first row of the dataset, at
// which the episodes of a merged dataset's cut source tails end (see
// [Source]); nil when there are none.
func cutEnds(sources []Source) map[int64]bool {
	var ends map[int64]bool
	var rows int64
	for _, s := range sources {
		rows += s.Rows
		if s.TailCut {
			if ends == nil {
				ends = make(map[int64]bool)
			}
			ends[rows] = true
		}
	}
	return ends
}

// Values of Metadata.TimeoutsMeaning.
const (
	TimeoutsTimeLimit  = "time_limit"  // timeouts mark the environment's time limit
	TimeoutsGoalSwitch = "goal_switch" // timeouts mark goal changes in one long run (maze2d)
)

// NormalizedScore maps a return onto the D4RL scale (Fu et al. 2020, §5),
// where the random reference policy scores 0 and the expert 100:
//
//	score = 100 · (R − refMin) / (refMax − refMin)
//
// It returns 0 when refMax == refMin, since the scale is then undefined.
func NormalizedScore(ret, refMin, refMax float64) float64 {
	if refMax == refMin {
		return 0
	}
	return 100 * (ret - refMin) / (refMax - refMin)
}

// metadataField pairs a metadata key with the index of its struct field.
// omitEmpty keys (nq, nv) are left out of a footer when zero, so that
// files without the optional columns keep their bytes.
type metadataField struct {
	key       string
	index     int
	omitEmpty bool
}

// metadataFields lists the keys of Metadata in declaration order.
func metadataFields() []metadataField {
	t := reflect.TypeFor[Metadata]()
	fields := make([]metadataField, 0, t.NumField())
	for i := range t.NumField() {
		key, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields = append(fields, metadataField{key: key, index: i,
			omitEmpty: opts == "omitempty"})
	}
	return fields
}

// keyValues encodes m as footer key-value pairs in declaration order, each
// value the JSON encoding of one field. A field that cannot be encoded (a
// NaN score, invalid raw JSON) is an error naming the key.
func (m *Metadata) keyValues(file string) ([][2]string, error) {
	v := reflect.ValueOf(m).Elem()
	var kv [][2]string
	for _, f := range metadataFields() {
		if f.omitEmpty && v.Field(f.index).IsZero() {
			continue
		}
		b, err := json.Marshal(v.Field(f.index).Interface())
		if err != nil {
			return nil, &ValidationError{File: file, Column: f.key, Row: -1,
				Reason: fmt.Sprintf("cannot encode as JSON: %v", err)}
		}
		kv = append(kv, [2]string{f.key, string(b)})
	}
	return kv, nil
}

// metadataFromLookup decodes the known keys that lookup finds; missing keys
// keep their zero value and unknown keys are ignored, so files written by
// other tools still load. Such tools sometimes store text unquoted
// (dataset_id = hopper-medium-v2), so a text field, or a raw JSON field,
// whose value is not JSON takes the value as plain text. Any other value
// that is not valid JSON for its field is an error wrapping [ErrSchema]
// and naming the key and the value.
func metadataFromLookup(file string, lookup func(string) (string, bool)) (Metadata, error) {
	var m Metadata
	v := reflect.ValueOf(&m).Elem()
	for _, f := range metadataFields() {
		s, ok := lookup(f.key)
		if !ok {
			continue
		}
		field := v.Field(f.index)
		if !json.Valid([]byte(s)) {
			switch raw := field.Addr().Interface().(type) {
			case *string:
				*raw = s
				continue
			case *json.RawMessage:
				*raw, _ = json.Marshal(s)
				continue
			}
		}
		if err := json.Unmarshal([]byte(s), field.Addr().Interface()); err != nil {
			return Metadata{}, mark(ErrSchema, &ValidationError{
				File: file, Column: f.key, Row: -1,
				Reason: fmt.Sprintf("value %s: %v", quoteShort(s), err)})
		}
	}
	m.compactRaw()
	return m, nil
}

// compactRaw removes insignificant white space from the raw JSON fields,
// so that metadata read from an indented manifest equals metadata read
// from a footer, and turns a JSON null back into a nil field.
func (m *Metadata) compactRaw() {
	for _, raw := range []*json.RawMessage{&m.EnvVersion, &m.BehaviourPolicy, &m.Seed} {
		if len(*raw) == 0 {
			continue
		}
		var buf bytes.Buffer
		if json.Compact(&buf, *raw) == nil {
			*raw = buf.Bytes()
		}
		if string(*raw) == "null" {
			*raw = nil
		}
	}
}

// quoteShort quotes s for an error message, cut to at most 80 bytes.
func quoteShort(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q…", s[:80])
	}
	return fmt.Sprintf("%q", s)
}

// tally accumulates the derived metadata of a run of rows. Returns are
// summed in float64 in row order, and episode returns are folded with
// Welford's algorithm, so the same rows always give the same bits.
//
// The last episode that ended is held back (pending) until the next one
// starts, because whether it counts as complete depends on tail_truncated,
// which is only known when the rows end.
type tally struct {
	rows, terminals, timeouts, episodes int64

	// cuts holds the row counts, from the dataset's first row, after
	// which an episode ends that is not complete (a merged source's cut
	// tail, see [Source]); base is the dataset row count before this
	// tally's first row.
	cuts map[int64]bool
	base int64

	inEpisode bool    // the last row added did not end its episode
	curReturn float64 // return so far of the episode in progress
	curLen    int64   // rows so far of the episode in progress

	pending       bool    // an ended episode is waiting to be folded in
	pendingReturn float64 // its return
	lastLen       int64   // length of the last ended episode

	complete       int64 // complete episodes folded in
	mean, m2       float64
	minRet, maxRet float64
}

// add accounts for one row.
func (t *tally) add(reward float32, terminal, timeout bool) {
	t.rows++
	if terminal {
		t.terminals++
	}
	if timeout {
		t.timeouts++
	}
	if !t.inEpisode {
		t.episodes++
		t.inEpisode = true
		t.curReturn, t.curLen = 0, 0
	}
	t.curReturn += float64(reward)
	t.curLen++
	if terminal || timeout {
		if t.pending {
			t.fold(t.pendingReturn)
		}
		t.pending, t.pendingReturn, t.lastLen = true, t.curReturn, t.curLen
		if t.cuts[t.base+t.rows] {
			t.pending = false // a cut source tail never counts as complete
		}
		t.inEpisode = false
	}
}

// fold adds one complete episode's return to the statistics.
func (t *tally) fold(ret float64) {
	t.complete++
	if t.complete == 1 {
		t.minRet, t.maxRet = ret, ret
	}
	t.minRet, t.maxRet = math.Min(t.minRet, ret), math.Max(t.maxRet, ret)
	delta := ret - t.mean
	t.mean += delta / float64(t.complete)
	t.m2 += delta * (ret - t.mean)
}

// finish folds the pending episode unless dropLast says the final episode
// was cut by the budget; it must be called once, after the last add.
func (t *tally) finish(dropLast bool) {
	if t.pending && !(dropLast && !t.inEpisode) {
		t.fold(t.pendingReturn)
	}
	t.pending = false
}

// fill writes the derived fields into m.
func (t *tally) fill(m *Metadata) {
	m.NumTransitions, m.NumEpisodes = t.rows, t.episodes
	m.NumTerminals, m.NumTimeouts = t.terminals, t.timeouts
	m.TailOpen = t.inEpisode
	m.ReturnMean, m.ReturnStd, m.ReturnMin, m.ReturnMax = 0, 0, 0, 0
	m.NormalizedScore = 0
	if t.complete == 0 {
		return
	}
	m.ReturnMean = t.mean
	m.ReturnStd = math.Sqrt(t.m2 / float64(t.complete))
	m.ReturnMin, m.ReturnMax = t.minRet, t.maxRet
	m.NormalizedScore = NormalizedScore(t.mean, m.RefMinScore, m.RefMaxScore)
}

// validateMetadata checks the caller-supplied fields of m. file names the
// destination in errors.
func validateMetadata(file string, m *Metadata) error {
	bad := func(key, reason string, args ...any) error {
		return &ValidationError{File: file, Column: key, Row: -1,
			Reason: fmt.Sprintf(reason, args...)}
	}
	switch {
	case m.SchemaVersion != "" && m.SchemaVersion != SchemaVersion:
		return bad("schema_version", "value %q, want %q", m.SchemaVersion, SchemaVersion)
	case m.ObsDim < 1 || m.ObsDim > MaxDim:
		return bad("obs_dim", "value %d, want 1 to %d", m.ObsDim, MaxDim)
	case m.ActDim < 1 || m.ActDim > MaxDim:
		return bad("act_dim", "value %d, want 1 to %d", m.ActDim, MaxDim)
	case m.NQ < 0 || m.NQ > MaxDim:
		return bad("nq", "value %d, want 0 (no state columns) or 1 to %d", m.NQ, MaxDim)
	case m.NV < 0 || m.NV > MaxDim:
		return bad("nv", "value %d, want 0 (no state columns) or 1 to %d", m.NV, MaxDim)
	case (m.NQ == 0) != (m.NV == 0):
		return bad("nv", "value %d with nq %d, want both 0 (no state) or both ≥ 1", m.NV, m.NQ)
	case m.MaxEpisodeSteps < 0:
		return bad("max_episode_steps", "value %d, want ≥ 0", m.MaxEpisodeSteps)
	case m.FrameSkip < 0:
		return bad("frame_skip", "value %d, want ≥ 0", m.FrameSkip)
	case math.IsNaN(m.Dt) || math.IsInf(m.Dt, 0) || m.Dt < 0:
		return bad("dt", "value %v, want a finite number ≥ 0", m.Dt)
	case m.TimeoutsMeaning != "" && m.TimeoutsMeaning != TimeoutsTimeLimit &&
		m.TimeoutsMeaning != TimeoutsGoalSwitch:
		return bad("timeouts_meaning", "value %q, want %q or %q",
			m.TimeoutsMeaning, TimeoutsTimeLimit, TimeoutsGoalSwitch)
	}
	if err := validateIdentity(m, bad); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"ref_min_score", m.RefMinScore}, {"ref_max_score", m.RefMaxScore}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return bad(f.key, "value %v, want a finite number", f.v)
		}
	}
	for _, f := range []struct {
		key string
		v   []float64
	}{{"action_low", m.ActionLow}, {"action_high", m.ActionHigh}} {
		if f.v != nil && len(f.v) != m.ActDim {
			return bad(f.key, "length %d, want act_dim %d", len(f.v), m.ActDim)
		}
		for i, x := range f.v {
			if math.IsNaN(x) {
				return bad(f.key, "element %d is NaN", i)
			}
		}
	}
	for _, f := range []struct {
		key string
		raw json.RawMessage
	}{{"env_version", m.EnvVersion}, {"behaviour_policy", m.BehaviourPolicy}, {"seed", m.Seed}} {
		if len(f.raw) > 0 && !json.Valid(f.raw) {
			return bad(f.key, "value %s is not valid JSON", quoteShort(string(f.raw)))
		}
	}
	if m.CreatedAt != "" {
		if _, err := time.Parse(time.RFC3339, m.CreatedAt); err != nil {
			return bad("created_at", "value %q is not an RFC 3339 time", m.CreatedAt)
		}
	}
	return nil
}

// validateIdentity checks dataset_id, dataset_kind and sources.
func validateIdentity(m *Metadata, bad func(string, string, ...any) error) error {
	if m.DatasetID != "" {
		_, kind, _, err := ParseID(m.DatasetID)
		if err != nil {
			return bad("dataset_id", "%v", err)
		}
		// A task that ends like a kind ("maze2d-medium" + "expert") makes
		// the ID ambiguous; the recorded kind picks the reading.
		if m.DatasetKind != "" && m.DatasetKind != kind && hasKind(m.DatasetID, m.DatasetKind) {
			kind = m.DatasetKind
		}
		if m.DatasetKind != "" && m.DatasetKind != kind {
			return bad("dataset_kind", "value %q but dataset_id %q has kind %q",
				m.DatasetKind, m.DatasetID, kind)
		}
	}
	if m.DatasetKind != "" && !knownKind(m.DatasetKind) {
		return bad("dataset_kind",
			"value %q, want one of %s", m.DatasetKind, strings.Join(kinds[:], ", "))
	}
	for i, s := range m.Sources {
		if b, err := hex.DecodeString(s.SHA256); err != nil || len(b) != sha256.Size {
			return bad("sources", "entry %d: sha256 %q, want 64 hex digits", i, s.SHA256)
		}
		if s.Rows < 0 {
			return bad("sources", "entry %d: rows %d, want ≥ 0", i, s.Rows)
		}
	}
	return nil
}

// knownKind reports whether k is one of the dataset kinds.
func knownKind(k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
