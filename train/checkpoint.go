package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"offrl/agents"
	"offrl/internal/atomicfile"
)

// checkpointSchema is the version of state.json.
const checkpointSchema = "1"

// state is checkpoint/state.json: everything besides the agent needed to
// continue a run bit-identically.
type state struct {
	SchemaVersion string   `json:"schema_version"`
	Algo          string   `json:"algo"`
	Step          int      `json:"step"`
	RNG           rngState `json:"rng"`
	MetricsBytes  int64    `json:"metrics_bytes"` // metrics.csv length at this step
	TimingBytes   int64    `json:"timing_bytes"`  // timing.csv length at this step
	DatasetID     string   `json:"dataset_id"`
	DatasetRows   int      `json:"dataset_rows"`
	DatasetSHA256 string   `json:"dataset_sha256"`
	AgentSHA256   string   `json:"agent_sha256"` // of the agent's files, checked on load
	// AgentFiles are the agent's files and their sizes, so that a damaged
	// checkpoint names the file that is missing or cut short.
	AgentFiles  map[string]int64 `json:"agent_files,omitempty"`
	Evals       []EvalPoint      `json:"evals"`
	Interval    intervalSum      `json:"interval"` // metrics accumulated since the last row
	WallSeconds float64          `json:"wall_s"`   // wall-clock time trained so far, for timing.csv
	// Online is the environment side of an online run; nil offline.
	Online *onlineState `json:"online,omitempty"`
}

// rngState holds the PCG sources of the run, marshalled. The last two
// exist in online runs only.
type rngState struct {
	Minibatch   []byte `json:"minibatch"`
	Noise       []byte `json:"noise"`
	EnvReset    []byte `json:"env_reset,omitempty"`
	Exploration []byte `json:"exploration,omitempty"`
}

// streams are the run's random generators, each on its own PCG stream of
// the run seed so that adding a consumer never shifts another's numbers.
// EnvReset draws the seed of each training episode and Exploration the
// actions taken in the environment (online runs).
type streams struct {
	initSrc, minibatchSrc, noiseSrc, envResetSrc, explorationSrc *rand.PCG
	Init, Minibatch, Noise, EnvReset, Exploration                *rand.Rand
}

func newStreams(seed uint64) *streams {
	s := &streams{
		initSrc:        rand.NewPCG(seed, 1),
		minibatchSrc:   rand.NewPCG(seed, 2),
		noiseSrc:       rand.NewPCG(seed, 3),
		envResetSrc:    rand.NewPCG(seed, 4),
		explorationSrc: rand.NewPCG(seed, 5),
	}
	s.Init = rand.New(s.initSrc)
	s.Minibatch = rand.New(s.minibatchSrc)
	s.Noise = rand.New(s.noiseSrc)
	s.EnvReset = rand.New(s.envResetSrc)
	s.Exploration = rand.New(s.explorationSrc)
	return s
}

// namedSource is a checkpointed generator and its key in rngState.
type namedSource struct {
	name string
	src  *rand.PCG
}

// checkpointed lists the sources a checkpoint keeps: the initialiser is
// used up by then; online runs add the environment's two.
func (s *streams) checkpointed(online bool) []namedSource {
	list := []namedSource{{"minibatch", s.minibatchSrc}, {"noise", s.noiseSrc}}
	if online {
		list = append(list, namedSource{"env_reset", s.envResetSrc},
			namedSource{"exploration", s.explorationSrc})
	}
	return list
}

// field is the rngState slot of a source.
func (r *rngState) field(name string) *[]byte {
	switch name {
	case "minibatch":
		return &r.Minibatch
	case "noise":
		return &r.Noise
	case "env_reset":
		return &r.EnvReset
	}
	return &r.Exploration
}

func (s *streams) marshal(online bool) (rngState, error) {
	var r rngState
	for _, x := range s.checkpointed(online) {
		b, err := x.src.MarshalBinary()
		if err != nil {
			return rngState{}, err
		}
		*r.field(x.name) = b
	}
	return r, nil
}

func (s *streams) unmarshal(r rngState, online bool) error {
	for _, x := range s.checkpointed(online) {
		if err := x.src.UnmarshalBinary(*r.field(x.name)); err != nil {
			return fmt.Errorf("rng.%s: %w", x.name, err)
		}
	}
	return nil
}

// ErrNoCheckpoint means a run directory holds no checkpoint to resume.
var ErrNoCheckpoint = errors.New("no checkpoint")

// saveCheckpoint writes the agent and st into runDir/checkpoint, and calls
// extra (if not nil) to add files of its own (an online run's replay
// buffer). It writes a complete new directory first and swaps it in with
// renames, so a crash at any point leaves either the old or the new
// checkpoint readable.
func saveCheckpoint(runDir string, agent agents.Agent, st state, extra func(dir string) error) error {
	final := filepath.Join(runDir, "checkpoint")
	fresh, old := final+".new", final+".old"
	if err := os.RemoveAll(fresh); err != nil {
		return err
	}
	if err := os.MkdirAll(fresh, 0o755); err != nil {
		return err
	}
	if err := agent.Save(fresh); err != nil {
		return fmt.Errorf("saving agent: %w", err)
	}
	if extra != nil {
		if err := extra(fresh); err != nil {
			return err
		}
	}
	sum, sizes, err := agentChecksum(fresh)
	if err != nil {
		return err
	}
	st.AgentSHA256, st.AgentFiles = sum, sizes
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	statePath := filepath.Join(fresh, "state.json")
	if err := atomicfile.WriteFile(statePath, append(js, '\n')); err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(fresh, final); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// loadCheckpoint reads runDir/checkpoint (or the previous one, if a crash
// interrupted the swap) into agent, calls extra (if not nil) with the
// directory it read, and returns its state.
func loadCheckpoint(runDir string, agent agents.Agent, extra func(dir string) error) (state, error) {
	dir := filepath.Join(runDir, "checkpoint")
	if _, err := os.Stat(dir); err != nil {
		dir += ".old"
		if _, err := os.Stat(dir); err != nil {
			return state{}, fmt.Errorf("%w in %s (looked for checkpoint/state.json)", ErrNoCheckpoint, runDir)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return state{}, fmt.Errorf("reading checkpoint state: %w", err)
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return state{}, fmt.Errorf("%s: %w", filepath.Join(dir, "state.json"), err)
	}
	if st.SchemaVersion != checkpointSchema {
		return state{}, fmt.Errorf("%s: schema_version %q, want %q", filepath.Join(dir, "state.json"),
			st.SchemaVersion, checkpointSchema)
	}
	sum, sizes, err := agentChecksum(dir)
	if err != nil {
		return state{}, err
	}
	if sum != st.AgentSHA256 {
		return state{}, fmt.Errorf("checkpoint %s is damaged: %s", dir, whatDiffers(sizes, st, sum))
	}
	if err := agent.Load(dir); err != nil {
		return state{}, fmt.Errorf("loading agent: %w", err)
	}
	if extra != nil {
		if err := extra(dir); err != nil {
			return state{}, err
		}
	}
	return st, nil
}

// agentChecksum is the SHA-256 of every file in a checkpoint directory but
// state.json and the replay buffer (which carries a checksum of its own,
// so that its damage is reported by name and hundreds of megabytes are
// not hashed twice), in name order.
func agentChecksum(dir string) (string, map[string]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
	sizes := map[string]int64{}
	for _, e := range entries {
		if e.Name() == "state.json" || e.Name() == replayFile || e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", nil, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
		sizes[e.Name()] = int64(len(b))
	}
	return hex.EncodeToString(h.Sum(nil)), sizes, nil
}

// whatDiffers names the agent's file that is missing, cut short, grown,
// unexpected or changed, against what state.json recorded; a checkpoint
// written before sizes were recorded gets the checksums only.
func whatDiffers(sizes map[string]int64, st state, sum string) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(st.AgentFiles)) {
		want := st.AgentFiles[name]
		got, ok := sizes[name]
		switch {
		case !ok:
			parts = append(parts, name+" is missing")
		case got < want:
			parts = append(parts, fmt.Sprintf("%s is truncated (%d bytes, state.json recorded %d)", name, got, want))
		case got > want:
			parts = append(parts, fmt.Sprintf("%s has %d bytes, state.json recorded %d", name, got, want))
		}
	}
	if st.AgentFiles != nil {
		for _, name := range slices.Sorted(maps.Keys(sizes)) {
			if _, ok := st.AgentFiles[name]; !ok {
				parts = append(parts, name+" was not part of it")
			}
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("the content of %s changed (sha256 %.12s…, state.json recorded %.12s…)",
				strings.Join(slices.Sorted(maps.Keys(sizes)), ", "), sum, st.AgentSHA256))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprintf("the agent's files have sha256 %.12s…, state.json recorded %.12s…", sum, st.AgentSHA256)
}
