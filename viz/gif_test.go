package viz

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"testing"

	"offrl/envs/registry"
	"offrl/policies"
)

func randomPlayer(t *testing.T, envID string, seed uint64) *Player {
	t.Helper()
	bp, err := policies.ForKind(envID, policies.KindRandom)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlayer(envID, BehaviourPolicy("random", bp), seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func decodeGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatalf("%s does not decode as a GIF: %v", path, err)
	}
	return g
}

// sameImage reports the first pixel where a and b differ.
func sameImage(a, b image.Image) (image.Point, bool) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return image.Point{}, false
	}
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			ca := color.RGBAModel.Convert(a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)).(color.RGBA)
			cb := color.RGBAModel.Convert(b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)).(color.RGBA)
			if ca != cb {
				return image.Pt(x, y), false
			}
		}
	}
	return image.Point{}, true
}

// The GIF shows the environment's own frames, exactly, at the
// simulation's speed, one episode from reset to its end.
func TestGIFHoldsTheRenderersFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pendulum.gif")
	st, err := WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 3),
		GIFOptions{Width: 96, Height: 64, Episodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := decodeGIF(t, path)
	// Pendulum: 0.05 s a step, so every step is a frame of 5/100 s; 200
	// steps and the reset frame.
	if st.Steps != 200 || len(g.Image) != 201 || st.StepsPer != 1 || g.Delay[0] != 5 {
		t.Fatalf("steps %d, frames %d, steps per frame %d, delay %d; want 200, 201, 1, 5",
			st.Steps, len(g.Image), st.StepsPer, g.Delay[0])
	}
	if g.Delay[len(g.Delay)-1] != gifHoldCs {
		t.Errorf("last frame's delay %d, want it held for %d", g.Delay[len(g.Delay)-1], gifHoldCs)
	}
	// Replay the same episode and compare frames 0, 1 and 150.
	ref := randomPlayer(t, "Pendulum-v1", 3)
	for k := 0; k <= 150; k++ {
		if k == 0 || k == 1 || k == 150 {
			want, err := ref.Frame(96, 64)
			if err != nil {
				t.Fatal(err)
			}
			if at, ok := sameImage(g.Image[k], want); !ok {
				t.Fatalf("GIF frame %d differs from the renderer's frame at %v", k, at)
			}
		}
		if err := ref.Advance(); err != nil {
			t.Fatal(err)
		}
	}
	if _, same := sameImage(g.Image[0], g.Image[150]); same {
		t.Fatal("the pendulum did not move between frames 0 and 150")
	}
}

// Hopper steps are 8 ms: frames are every 4th step (1/30 s aimed), and
// every episode's last step is shown.
func TestGIFSubsamplesFastEnvironments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hopper.gif")
	st, err := WriteGIF(context.Background(), path, randomPlayer(t, "Hopper-v4", 0),
		GIFOptions{Width: 64, Height: 48, Episodes: 2, Status: true})
	if err != nil {
		t.Fatal(err)
	}
	g := decodeGIF(t, path)
	if st.StepsPer != 4 || g.Delay[0] != 3 {
		t.Fatalf("steps per frame %d, delay %d; want 4 and 3 (4 × 8 ms)", st.StepsPer, g.Delay[0])
	}
	if len(st.Returns) != 2 {
		t.Fatalf("%d episode returns, want 2", len(st.Returns))
	}
	held := 0
	for _, d := range g.Delay {
		if d == gifHoldCs {
			held++
		}
	}
	if held != 2 {
		t.Fatalf("%d held end frames, want one per episode (2)", held)
	}
	if len(g.Image) != st.Frames {
		t.Fatalf("decoded %d frames, stats say %d", len(g.Image), st.Frames)
	}
}

func TestGIFIsAtomicAndChecksItsOptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.gif")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteGIF(ctx, path, randomPlayer(t, "Pendulum-v1", 0), GIFOptions{Width: 32, Height: 32, Episodes: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a cancelled GIF left %v behind", entries)
	}
	for _, o := range []GIFOptions{{Width: 8, Height: 32, Episodes: 1}, {Width: 32, Height: 32, Episodes: 0},
		{Width: 5000, Height: 32, Episodes: 1}} {
		if _, err := WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 0), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

// Every registered environment draws through the Player, and its frames
// are not blank.
func TestEveryEnvironmentPlays(t *testing.T) {
	for _, id := range registry.IDs() {
		p := randomPlayer(t, id, 1)
		for range 3 {
			if err := p.Advance(); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
		img, err := p.Frame(48, 32)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		q := quantize(img)
		if len(q.Palette) < 2 {
			t.Errorf("%s: the frame has one colour", id)
		}
		if p.Step() != 3 || p.EnvID() != id || p.Episode() != 1 {
			t.Errorf("%s: step %d episode %d", id, p.Step(), p.Episode())
		}
	}
}

// Episodes reset with seed, seed+1, ...: the second episode's start is
// the one a fresh reset with seed+1 gives.
func TestPlayerSeedsEpisodesInTurn(t *testing.T) {
	p := randomPlayer(t, "Pendulum-v1", 10)
	for !p.Done() {
		if err := p.Advance(); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Advance(); err != nil { // resets: episode 2, its start shown
		t.Fatal(err)
	}
	if p.Episode() != 2 || p.Step() != 0 || p.Return() != 0 || p.Done() {
		t.Fatalf("episode %d step %d return %v done %v, want 2, 0, 0, false",
			p.Episode(), p.Step(), p.Return(), p.Done())
	}
	env, _ := registry.Make("Pendulum-v1")
	obs, _, _ := env.Reset(11)
	for i, v := range obs {
		if p.obs[i] != v {
			t.Fatalf("episode 2 starts at %v; a reset with seed 11 gives %v", p.obs, obs)
		}
	}
}

func TestQuantizeFallsBackToTheCube(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{uint8(8 * x), uint8(8 * y), uint8(x ^ y), 255})
		}
	}
	q := quantize(img)
	if len(q.Palette) != 252 {
		t.Fatalf("palette of %d colours for 1024 colours, want the 252-colour cube", len(q.Palette))
	}
	// Every pixel maps to a cube colour within half a step per channel.
	for y := range 32 {
		for x := range 32 {
			want := img.RGBAAt(x, y)
			got := q.Palette[q.ColorIndexAt(x, y)].(color.RGBA)
			if d := absDiff(got.R, want.R); d > 26 {
				t.Fatalf("pixel (%d,%d) red %d → %d", x, y, want.R, got.R)
			}
			if d := absDiff(got.G, want.G); d > 22 {
				t.Fatalf("pixel (%d,%d) green %d → %d", x, y, want.G, got.G)
			}
		}
	}
	few := image.NewRGBA(image.Rect(0, 0, 4, 4))
	few.Set(1, 1, color.RGBA{1, 2, 3, 255})
	if q := quantize(few); len(q.Palette) != 2 || q.Palette[q.ColorIndexAt(1, 1)] != (color.RGBA{1, 2, 3, 255}) {
		t.Fatal("a two-colour frame was not kept exactly")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestStatusWrapsAtDoubleSpaces(t *testing.T) {
	lines := wrapFields("Hopper-v4  ep 1  step 20  reward 1.000", 20)
	want := []string{"Hopper-v4  ep 1", "step 20", "reward 1.000"}
	if len(lines) != len(want) {
		t.Fatalf("%q, want %q", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("%q, want %q", lines, want)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	DrawStatus(img, "Hopper-v4  ep 1  step 20  reward 1.000")
	if img.RGBAAt(60, 79) != (color.RGBA{}) {
		t.Fatal("the status band reached the bottom of the frame")
	}
	if img.RGBAAt(1, 3*statusLine) != (color.RGBA{20, 20, 20, 255}) {
		t.Fatal("three lines did not get a band three lines high")
	}
}
