package replay

import (
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fillRandom(t *testing.T, b *Buffer, n int, rng *rand.Rand) {
	t.Helper()
	for i := range n {
		tr := Transition{Obs: make([]float32, b.obsDim), Action: make([]float32, b.actDim),
			NextObs: make([]float32, b.obsDim), Reward: float32(rng.NormFloat64()),
			Terminal: i%7 == 3, Timeout: i%5 == 4}
		for j := range tr.Obs {
			tr.Obs[j], tr.NextObs[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		tr.Action[0] = float32(rng.Float64())
		if err := b.Add(tr); err != nil {
			t.Fatal(err)
		}
	}
}

func sameBuffers(t *testing.T, a, b *Buffer) {
	t.Helper()
	if a.size != b.size || a.cursor != b.cursor {
		t.Fatalf("size/cursor %d/%d vs %d/%d", a.size, a.cursor, b.size, b.cursor)
	}
	n := a.size
	for name, pair := range map[string][2][]float32{
		"obs": {a.obs[:n*a.obsDim], b.obs[:n*b.obsDim]}, "actions": {a.actions[:n], b.actions[:n]},
		"rewards":  {a.rewards[:n], b.rewards[:n]},
		"next_obs": {a.nextObs[:n*a.obsDim], b.nextObs[:n*b.obsDim]},
	} {
		for i := range pair[0] {
			if pair[0][i] != pair[1][i] {
				t.Fatalf("%s[%d]: %v vs %v", name, i, pair[0][i], pair[1][i])
			}
		}
	}
	for i := range n {
		if a.terminals[i] != b.terminals[i] || a.timeouts[i] != b.timeouts[i] {
			t.Fatalf("flags of row %d differ", i)
		}
	}
}

// A buffer round-trips through its file, before and after wrapping, and
// samples identically afterwards.
func TestSaveLoadRoundTrips(t *testing.T) {
	for _, n := range []int{0, 7, 25, 64} { // capacity 25: partly full, full, wrapped
		src := New(25, 3, 1)
		fillRandom(t, src, n, rand.New(rand.NewPCG(1, uint64(n))))
		path := filepath.Join(t.TempDir(), "replay.bin")
		if err := src.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		dst := New(25, 3, 1)
		if err := dst.LoadFile(path); err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		sameBuffers(t, src, dst)
		if n == 0 {
			continue
		}
		ba, bb := src.NewBatch(8), dst.NewBatch(8)
		src.Sample(rand.New(rand.NewPCG(3, 3)), ba)
		dst.Sample(rand.New(rand.NewPCG(3, 3)), bb)
		for i := range ba.Obs {
			if ba.Obs[i] != bb.Obs[i] {
				t.Fatalf("%d rows: sampled batches differ after loading", n)
			}
		}
	}
}

// A damaged, truncated or mismatched file is refused with an error that
// names the file, and the buffer keeps its contents.
func TestLoadRefusesDamagedFiles(t *testing.T) {
	src := New(40, 3, 1)
	fillRandom(t, src, 30, rand.New(rand.NewPCG(1, 1)))
	dir := t.TempDir()
	path := filepath.Join(dir, "replay.bin")
	if err := src.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	flip := append([]byte(nil), raw...)
	flip[len(flip)/2] ^= 0x01
	// A NaN reward in row 2 under a recomputed, valid checksum.
	nan := append([]byte(nil), raw...)
	at := headerBytes + 4*30*(3+1) + 4*2
	binary.LittleEndian.PutUint32(nan[at:], 0x7fc00000)
	binary.LittleEndian.PutUint32(nan[len(nan)-4:], crc32.Checksum(nan[:len(nan)-4], castagnoli))
	cases := map[string]struct {
		data []byte
		buf  *Buffer
		want string
	}{
		"one bit flipped": {flip, New(40, 3, 1), "damaged"},
		"truncated":       {raw[:len(raw)-9], New(40, 3, 1), "damaged"},
		"empty":           {nil, New(40, 3, 1), "not a replay buffer"},
		"other widths":    {raw, New(40, 4, 1), "obs_dim"},
		"other capacity":  {raw, New(50, 3, 1), "capacity"},
		"NaN reward":      {nan, New(40, 3, 1), "column rewards row 2"},
	}
	for name, tc := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".bin")
		os.WriteFile(p, tc.data, 0o644)
		fillRandom(t, tc.buf, 2, rand.New(rand.NewPCG(9, 9)))
		err := tc.buf.LoadFile(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LoadFile = %v, want an error naming %s and saying %q", name, err, p, tc.want)
		}
		if tc.buf.Len() != 2 {
			t.Errorf("%s: a refused file changed the buffer to %d rows", name, tc.buf.Len())
		}
	}
}

func TestLastCountsBackFromTheNewestRow(t *testing.T) {
	b := New(4, 1, 1)
	for i := range 6 { // wraps: rows 2..5 remain
		v := float32(i)
		b.Add(Transition{Obs: []float32{v}, Action: []float32{v}, NextObs: []float32{v + 1}})
	}
	for k := range 4 {
		obs, act, next := b.Last(k)
		if want := float32(5 - k); obs[0] != want || act[0] != want || next[0] != want+1 {
			t.Errorf("Last(%d) = %v %v %v, want row %v", k, obs, act, next, want)
		}
	}
}

// LoadFile never panics on arbitrary bytes, and a file it accepts saves
// back to the same bytes.
func FuzzLoadFile(f *testing.F) {
	dir := f.TempDir()
	for _, n := range []int{0, 3, 9} {
		b := New(6, 2, 1)
		for i := range n {
			v := float32(i)
			b.Add(Transition{Obs: []float32{v, -v}, Action: []float32{v / 10}, NextObs: []float32{v + 1, 0},
				Reward: v, Terminal: i%4 == 3, Timeout: i%3 == 2})
		}
		path := filepath.Join(dir, "seed.bin")
		if err := b.SaveFile(path); err != nil {
			f.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.bin")
		os.WriteFile(in, data, 0o644)
		b := New(6, 2, 1)
		if err := b.LoadFile(in); err != nil {
			return
		}
		out := filepath.Join(dir, "out.bin")
		if err := b.SaveFile(out); err != nil {
			t.Fatal(err)
		}
		if again, _ := os.ReadFile(out); string(again) != string(data) {
			t.Fatalf("accepted %d bytes that save back as %d other bytes", len(data), len(again))
		}
	})
}
