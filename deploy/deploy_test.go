package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"offrl/datasets"
	"offrl/internal/testfs"
)

// bin holds collect, train-agent and dataset, built by TestMain as the
// image builds them (CGO_ENABLED=0); buildErr says why they are not there.
var (
	bin      string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "offrl-deploy-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "bin")
	cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
		"offrl/cmd/collect", "offrl/cmd/train-agent", "offrl/cmd/dataset")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("CGO_ENABLED=0 go build ./cmd/collect ./cmd/train-agent "+
			"./cmd/dataset: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needBinaries(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// run runs a program with extra environment variables and fails the test
// unless it exits 0; it returns stdout.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// sbatchArray returns the range of a script's #SBATCH --array=0-M line as
// its task count M+1.
func sbatchArray(t *testing.T, script string) int {
	t.Helper()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#SBATCH --array=0-([0-9]+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s has no #SBATCH --array=0-M line", script)
	}
	last, _ := strconv.Atoi(string(m[1]))
	return last + 1
}

// The Slurm collection scripts, run as array tasks 0–2 at once and then
// as the dependent join, give a dataset byte-identical to one collect
// --shards 3 process, which `dataset validate` accepts; and the join's
// default shard count is the array's size.
func TestSlurmShardedCollection(t *testing.T) {
	needBinaries(t)
	if n, merge := sbatchArray(t, "slurm/collect-array.sh"), mergeDefaultShards(t); n != merge {
		t.Fatalf("collect-array.sh runs %d tasks, but collect-merge.sh joins %d shards", n, merge)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "split", "pendulum-medium-v0")
	env := []string{"OFFRL_BIN=" + bin, "OFFRL_ENV=Pendulum-v1", "OFFRL_KIND=medium",
		"OFFRL_STEPS=2900", "OFFRL_SEED=2", "OFFRL_PART_ROWS=400", "OFFRL_OUT=" + out}

	var tasks []*exec.Cmd
	var logs []*bytes.Buffer
	for k := range 3 {
		cmd := exec.Command("bash", "slurm/collect-array.sh")
		cmd.Env = append(os.Environ(), append(env, "SLURM_ARRAY_TASK_ID="+strconv.Itoa(k),
			"SLURM_ARRAY_TASK_COUNT=3")...)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tasks, logs = append(tasks, cmd), append(logs, &log)
	}
	for k, cmd := range tasks {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("array task %d: %v\n%s", k, err, logs[k])
		}
	}
	run(t, append(env, "OFFRL_SHARDS=3"), "bash", "slurm/collect-merge.sh")

	single := filepath.Join(dir, "single", "pendulum-medium-v0")
	run(t, nil, filepath.Join(bin, "collect"), "--env", "Pendulum-v1", "--kind", "medium",
		"--steps", "2900", "--seed", "2", "--part-rows", "400", "--out", single, "--shards", "3")
	testfs.SameTree(t, filepath.Dir(out), filepath.Dir(single))
	if got := run(t, nil, filepath.Join(bin, "dataset"), "validate", out); !strings.HasPrefix(got, "ok ") {
		t.Fatalf("dataset validate %s: %q", out, got)
	}
}

// mergeDefaultShards is collect-merge.sh's default OFFRL_SHARDS.
func mergeDefaultShards(t *testing.T) int {
	b, err := os.ReadFile("slurm/collect-merge.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`shards=\$\{OFFRL_SHARDS:-([0-9]+)\}`).FindSubmatch(b)
	if m == nil {
		t.Fatal("collect-merge.sh sets no default OFFRL_SHARDS")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// The seed sweep script trains seed k into its own run directory for
// array task k, passing its arguments on, and a task run again continues
// its run with --resume.
func TestSlurmSeedSweep(t *testing.T) {
	needBinaries(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "pendulum-medium-v0")
	run(t, nil, filepath.Join(bin, "collect"), "--env", "Pendulum-v1", "--kind", "medium",
		"--steps", "2000", "--out", data)
	runs := filepath.Join(dir, "runs")
	env := []string{"OFFRL_BIN=" + bin, "OFFRL_DATASET=" + data, "OFFRL_RUNS=" + runs}
	args := []string{"slurm/seed-sweep.sh", "--steps", "20", "--eval-every", "10",
		"--eval-episodes", "2", "--rollout-gif=false"}
	for k := range 2 {
		run(t, append(env, "SLURM_ARRAY_TASK_ID="+strconv.Itoa(k)), "bash", args...)
		runDir := filepath.Join(runs, fmt.Sprintf("pendulum-medium-v0-seed-%d", k))
		var cfg struct {
			Seed  uint64 `json:"seed"`
			Steps int    `json:"steps"`
		}
		b, err := os.ReadFile(filepath.Join(runDir, "config.json"))
		if err == nil {
			err = json.Unmarshal(b, &cfg)
		}
		if err != nil || cfg.Seed != uint64(k) || cfg.Steps != 20 {
			t.Fatalf("task %d: config.json %s (%v); want seed %d and 20 steps", k, b, err, k)
		}
		if _, err := os.Stat(filepath.Join(runDir, "eval.json")); err != nil {
			t.Fatalf("task %d: %v", k, err)
		}
	}
	// A requeued task continues its run instead of failing on the
	// existing directory.
	run(t, append(env, "SLURM_ARRAY_TASK_ID=1"), "bash", args...)
}

// job is the part of a Kubernetes Job manifest the tests read.
type job struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
					Env     []struct {
						Name      string `yaml:"name"`
						ValueFrom struct {
							FieldRef struct {
								FieldPath string `yaml:"fieldPath"`
							} `yaml:"fieldRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readJob parses a manifest strictly and checks what every Job here
// needs: one container whose program is one the image builds, restart
// policy Never, and the shared claim of pvc.yaml mounted where the
// arguments' paths are.
func readJob(t *testing.T, path string) job {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j job
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	spec := j.Spec.Template.Spec
	if j.Kind != "Job" || len(spec.Containers) != 1 || spec.RestartPolicy != "Never" {
		t.Fatalf("%s: kind %q, %d containers, restartPolicy %q; want one Job container "+
			"that is never restarted in place", path, j.Kind, len(spec.Containers), spec.RestartPolicy)
	}
	c := spec.Containers[0]
	if len(c.Command) != 1 || !slices.Contains(imagePrograms(t), c.Command[0]) {
		t.Fatalf("%s: command %v, want one of the image's %v", path, c.Command, imagePrograms(t))
	}
	var claim struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	if b, err := os.ReadFile("k8s/pvc.yaml"); err != nil || yaml.Unmarshal(b, &claim) != nil {
		t.Fatalf("k8s/pvc.yaml: %v", err)
	}
	if len(spec.Volumes) != 1 || spec.Volumes[0].PersistentVolumeClaim.ClaimName != claim.Metadata.Name ||
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != spec.Volumes[0].Name {
		t.Fatalf("%s: want the claim %q of pvc.yaml as the one volume, mounted", path, claim.Metadata.Name)
	}
	mount := c.VolumeMounts[0].MountPath + "/"
	for _, a := range c.Args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(v, "/") && !strings.HasPrefix(v, mount) {
			t.Errorf("%s: %s is not on the shared volume (mounted at %s)", path, a, mount)
		}
	}
	return j
}

// imagePrograms are the paths of the programs deploy/Dockerfile builds.
func imagePrograms(t *testing.T) []string {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	build := regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build .* -o /out/ (.*)$`).FindSubmatch(b)
	if build == nil || !bytes.Contains(b, []byte("COPY --from=build /out/ /offrl/")) {
		t.Fatal("Dockerfile: no CGO_ENABLED=0 go build -o /out/ ... copied to /offrl/")
	}
	var progs []string
	for _, pkg := range strings.Fields(string(build[1])) {
		progs = append(progs, "/offrl/"+filepath.Base(pkg))
	}
	return progs
}

// podArgs expands $(NAME) in a container's arguments as Kubernetes does,
// with JOB_COMPLETION_INDEX = index, and fails on any reference left.
func podArgs(t *testing.T, path string, args []string, index int) []string {
	t.Helper()
	var out []string
	for _, a := range args {
		a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(index))
		if strings.Contains(a, "$(") {
			t.Fatalf("%s: argument %q refers to a variable the pod does not set", path, a)
		}
		out = append(out, a)
	}
	return out
}

// indexEnv fails unless the container sets JOB_COMPLETION_INDEX from the
// Job's completion-index annotation.
func indexEnv(t *testing.T, path string, j job) {
	t.Helper()
	for _, e := range j.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "JOB_COMPLETION_INDEX" &&
			e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			return
		}
	}
	t.Fatalf("%s: JOB_COMPLETION_INDEX is not taken from the completion index", path)
}

// The Kubernetes manifests parse; the collection is an Indexed Job with
// completions = parallelism = the N of --shard $(JOB_COMPLETION_INDEX)/N;
// and their arguments, run by the real programs (with only the size and
// paths overridden by later flags), collect every shard, join them with
// the merge Job's arguments into a valid dataset, and train a seed of the
// sweep on it.
func TestKubernetesJobs(t *testing.T) {
	needBinaries(t)
	collectJob := readJob(t, "k8s/collect-indexed-job.yaml")
	mergeJob := readJob(t, "k8s/collect-merge-job.yaml")
	sweepJob := readJob(t, "k8s/seed-sweep-indexed-job.yaml")
	indexEnv(t, "k8s/collect-indexed-job.yaml", collectJob)
	indexEnv(t, "k8s/seed-sweep-indexed-job.yaml", sweepJob)

	n := collectJob.Spec.Completions
	c := collectJob.Spec.Template.Spec.Containers[0]
	if collectJob.Spec.CompletionMode != "Indexed" || n < 1 || collectJob.Spec.Parallelism != n ||
		!slices.Contains(c.Args, fmt.Sprintf("--shard=$(JOB_COMPLETION_INDEX)/%d", n)) {
		t.Fatalf("collect-indexed-job.yaml: completionMode %q, completions %d, parallelism %d, "+
			"args %v; want Indexed, equal counts, and --shard=$(JOB_COMPLETION_INDEX)/completions",
			collectJob.Spec.CompletionMode, n, collectJob.Spec.Parallelism, c.Args)
	}
	m := mergeJob.Spec.Template.Spec.Containers[0]
	if !slices.Contains(m.Args, fmt.Sprintf("--shards=%d", n)) || !slices.Contains(m.Args, "--merge") {
		t.Fatalf("collect-merge-job.yaml: args %v, want --shards=%d --merge", m.Args, n)
	}
	if sweepJob.Spec.CompletionMode != "Indexed" {
		t.Fatalf("seed-sweep-indexed-job.yaml: completionMode %q", sweepJob.Spec.CompletionMode)
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "d")
	small := []string{"--steps", strconv.Itoa(150 * n), "--part-rows", "100", "--out", out}
	program := func(command []string) string { return filepath.Join(bin, filepath.Base(command[0])) }
	for k := range n {
		args := podArgs(t, "k8s/collect-indexed-job.yaml", c.Args, k)
		run(t, nil, program(c.Command), append(args, small...)...)
	}
	run(t, nil, program(m.Command), append(podArgs(t, "k8s/collect-merge-job.yaml", m.Args, 0), small...)...)
	d, err := datasets.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(); err != nil || len(d.Meta.Sources) != n || d.Len() != 150*n {
		t.Fatalf("joined dataset: %d rows from %d sources (%v); want %d from %d",
			d.Len(), len(d.Meta.Sources), err, 150*n, n)
	}

	s := sweepJob.Spec.Template.Spec.Containers[0]
	runDir := filepath.Join(dir, "run")
	args := append(podArgs(t, "k8s/seed-sweep-indexed-job.yaml", s.Args, 3),
		"--dataset", out, "--run-dir", runDir, "--steps", "10", "--eval-every", "10",
		"--eval-episodes", "1", "--rollout-gif=false")
	if !slices.Contains(args, "--seed=3") {
		t.Fatalf("seed-sweep-indexed-job.yaml: args %v do not set --seed to the index", args)
	}
	run(t, nil, program(s.Command), args...)
	if _, err := os.Stat(filepath.Join(runDir, "eval.json")); err != nil {
		t.Fatal(err)
	}
}
