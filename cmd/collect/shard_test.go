package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"offrl/datasets"
	"offrl/internal/testfs"
)

// Three collect processes run at once, one shard each, and a fourth joins
// them: the dataset, shards included, is byte-identical to one process
// collecting with --shards 3 and the same seed, and it validates.
func TestShardProcessesEqualOneProcess(t *testing.T) {
	for _, c := range []struct{ env, kind, steps string }{
		{"Pendulum-v1", "medium", "2900"},
		{"Hopper-v4", "random", "3000"},
	} {
		t.Run(c.env+"/"+c.kind, func(t *testing.T) {
			dir := t.TempDir()
			flags := func(out string) []string {
				return []string{"--env", c.env, "--kind", c.kind, "--steps", c.steps, "--seed", "3",
					"--part-rows", "400", "--out", filepath.Join(dir, out, "d")}
			}
			type child struct {
				wait   func() error
				stderr *bytes.Buffer
			}
			var children []child
			for i := range 3 {
				cmd, stderr := startChild(t, append(flags("split"), "--shard", []string{"0/3", "1/3", "2/3"}[i]))
				children = append(children, child{cmd.Wait, stderr})
			}
			for i, ch := range children {
				if err := ch.wait(); err != nil {
					t.Fatalf("shard %d/3: %v\n%s", i, err, ch.stderr)
				}
			}
			join, stderr := startChild(t, append(flags("split"), "--shards", "3", "--merge"))
			if err := join.Wait(); err != nil {
				t.Fatalf("join: %v\n%s", err, stderr)
			}
			if code, _, stderr := runCmd(append(flags("single"), "--shards", "3")...); code != 0 {
				t.Fatalf("--shards 3: exit %d: %s", code, stderr)
			}
			testfs.SameTree(t, filepath.Join(dir, "split"), filepath.Join(dir, "single"))
			d, err := datasets.Read(filepath.Join(dir, "split", "d"))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Validate(); err != nil {
				t.Fatalf("the joined dataset fails validation: %v", err)
			}
			if d.Len() != 2900 && d.Len() != 3000 || len(d.Meta.Sources) != 3 {
				t.Fatalf("joined: %d rows from %d sources", d.Len(), len(d.Meta.Sources))
			}
		})
	}
}

// Bad sharding flags exit 2 with one line naming the flag and the value,
// and write nothing.
func TestBadShardFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d")
	base := []string{"--env", "Pendulum-v1", "--kind", "random", "--steps", "100"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--shard", "3/2", "--out", out}, `"3/2" for flag -shard: the shard index 3 must be 0 to 1`},
		{[]string{"--shard", "0/0", "--out", out}, `"0/0" for flag -shard: the shard count 0`},
		{[]string{"--shard", "a/b", "--out", out}, `"a/b" for flag -shard: want I/N`},
		{[]string{"--shard", "1", "--out", out}, `"1" for flag -shard: want I/N`},
		{[]string{"--shard", "0/2", "--out", out + ".parquet"}, "--out " + out + ".parquet: a sharded collection needs a directory"},
		{[]string{"--shards", "2", "--out", out + ".parquet"}, "needs a directory"},
		{[]string{"--shard", "0/2", "--shards", "2", "--out", out}, "--shard 0/2 and --shards 2 exclude each other"},
		{[]string{"--merge", "--out", out}, "--merge joins shards and needs --shards N"},
		{[]string{"--shards", "-1", "--out", out}, "--shards = -1"},
		{[]string{"--shard", "0/200", "--out", out}, "--steps = 100 is fewer than the 200 shards"},
		{[]string{"--shard", "0/2", "--kind", "medium-expert", "--out", out}, "--kind medium-expert cannot be sharded"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(append(base, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("collect %v: exit %d, stderr %q; want exit 2 and one line saying %q",
				tt.args, code, stderr, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("rejected commands left %d entries in %s", len(entries), dir)
	}

	// Joining with a shard missing fails (exit 1) naming the shard; one
	// collected with other flags is a usage error naming the flag.
	if code, _, stderr := runCmd(append(base, "--out", out, "--shard", "1/2")...); code != 0 {
		t.Fatalf("shard 1/2: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCmd(append(base, "--out", out, "--shards", "2", "--merge")...)
	if code != 1 || !strings.Contains(stderr, "shard 0/2 is missing") {
		t.Errorf("join with shard 0 missing: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(append(base, "--out", out, "--shards", "2", "--seed", "4")...)
	if code != 2 || !strings.Contains(stderr, "shard-00001-of-00002 was collected with --seed 0") {
		t.Errorf("join with another seed: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out+".shards", "shard-00000-of-00002")); err == nil {
		t.Error("a shard was collected before the mismatch was found")
	}
}

// A shard process interrupted with SIGINT after its first part exits 130
// saying where its parts are kept; the same command resumes it, and the
// join then equals a single --shards run.
func TestInterruptedShardResumes(t *testing.T) {
	dir := t.TempDir()
	flags := func(out string) []string {
		return []string{"--env", "Pendulum-v1", "--kind", "medium", "--steps", "24000",
			"--seed", "5", "--part-rows", "2000", "--out", filepath.Join(dir, out, "d")}
	}
	shardDir := filepath.Join(dir, "split", "d.shards", "shard-00000-of-00002")
	cmd, stderr := startChild(t, append(flags("split"), "--shard", "0/2"))
	waitFor(t, "the first finished part", func() bool {
		p, err := datasets.ReadProgress(shardDir)
		return err == nil && p.PartsDone() > 0
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 ||
		!strings.Contains(stderr.String(), "kept in "+datasets.PartialDir(shardDir)) {
		t.Fatalf("interrupted shard: exit %d, stderr %q; want 130 naming its partial directory",
			code, stderr)
	}
	code, _, resumed := runCmd(append(flags("split"), "--shard", "0/2")...)
	if code != 0 || !strings.Contains(resumed, "resuming collection") {
		t.Fatalf("resumed shard: exit %d, stderr %q", code, resumed)
	}
	for _, args := range [][]string{
		append(flags("split"), "--shard", "1/2"),
		append(flags("split"), "--shards", "2", "--merge"),
		append(flags("single"), "--shards", "2"),
	} {
		if code, _, stderr := runCmd(args...); code != 0 {
			t.Fatalf("collect %v: exit %d: %s", args, code, stderr)
		}
	}
	testfs.SameTree(t, filepath.Join(dir, "split"), filepath.Join(dir, "single"))
}
