package viz

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"offrl/envs/registry"
	"offrl/internal/testfs"
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
	g := testfs.DecodeGIF(t, path)
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
	g := testfs.DecodeGIF(t, path)
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

// A multi-frame animation with palettes of 1 to 256 colours and frames
// that do not fill the screen decodes with image/gif to the same pixels,
// delays, disposal and loop count.
func TestGIFEncoderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type frame struct {
		m     *image.Paletted
		delay int
	}
	var frames []frame
	for i, n := range []int{1, 2, 3, 200, 252, 256, 5} {
		r := image.Rect(0, 0, 150, 100)
		if i == 6 {
			r = image.Rect(7, 11, 90, 60) // a frame within the screen
		}
		pal := make(color.Palette, n)
		for j := range pal {
			pal[j] = color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		}
		m := image.NewPaletted(r, pal)
		for j := range m.Pix {
			if j%7 < 3 { // runs the LZW coder compresses, and noise
				m.Pix[j] = uint8(j / 97 % n)
			} else {
				m.Pix[j] = uint8(rng.IntN(n))
			}
		}
		frames = append(frames, frame{m, 2 + 17*i})
	}
	var buf bytes.Buffer
	enc, err := newGIFEncoder(&buf, 150, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := enc.WriteFrame(f.m, f.delay); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("does not decode: %v", err)
	}
	if g.Config.Width != 150 || g.Config.Height != 100 || g.LoopCount != 0 || len(g.Image) != len(frames) {
		t.Fatalf("screen %d×%d, loop count %d, %d frames; want 150×100, 0 (forever), %d",
			g.Config.Width, g.Config.Height, g.LoopCount, len(g.Image), len(frames))
	}
	for i, f := range frames {
		got := g.Image[i]
		if got.Bounds() != f.m.Bounds() {
			t.Fatalf("frame %d: bounds %v, want %v", i, got.Bounds(), f.m.Bounds())
		}
		if g.Delay[i] != f.delay || g.Disposal[i] != gif.DisposalNone {
			t.Fatalf("frame %d: delay %d disposal %d, want %d and %d (do not dispose)",
				i, g.Delay[i], g.Disposal[i], f.delay, gif.DisposalNone)
		}
		if want := max(2, 1<<bits.Len(uint(len(f.m.Palette)-1))); len(got.Palette) != want {
			t.Fatalf("frame %d: colour table of %d for %d colours, want %d", i, len(got.Palette), len(f.m.Palette), want)
		}
		b := f.m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if got.ColorIndexAt(x, y) != f.m.ColorIndexAt(x, y) || got.At(x, y) != f.m.At(x, y) {
					t.Fatalf("frame %d (%d colours): pixel (%d,%d) is %v, want %v",
						i, len(f.m.Palette), x, y, got.At(x, y), f.m.At(x, y))
				}
			}
		}
	}
	// The data comes in sub-blocks of at most 255 bytes: a random frame
	// of 15000 pixels needs many, so image/gif would have failed on a
	// longer one; check the first image's framing by hand too.
	if !bytes.HasPrefix(buf.Bytes(), []byte("GIF89a")) || buf.Bytes()[buf.Len()-1] != 0x3b {
		t.Fatal("no GIF89a header or no trailer")
	}
}

func TestGIFEncoderRefusesBadFrames(t *testing.T) {
	enc, err := newGIFEncoder(io.Discard, 16, 16, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteFrame(image.NewPaletted(image.Rect(0, 0, 17, 16), color.Palette{color.Black}), 5); err == nil {
		t.Error("a frame larger than the screen was accepted")
	}
	if err := enc.WriteFrame(image.NewPaletted(image.Rect(0, 0, 16, 16), nil), 5); err == nil {
		t.Error("a frame without colours was accepted")
	}
	m := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.Black, color.White, color.Black})
	m.Pix[40] = 3
	if err := enc.WriteFrame(m, 5); err == nil {
		t.Error("a pixel outside the palette was accepted")
	}
	enc, _ = newGIFEncoder(io.Discard, 16, 16, 0)
	if err := enc.Close(); err == nil {
		t.Error("an animation without frames was accepted")
	}
}

// WriteGIF's files loop forever.
func TestGIFLoopsForever(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loop.gif")
	st, err := WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 0),
		GIFOptions{Width: 32, Height: 24, Episodes: 2, MaxSteps: 3})
	if err != nil {
		t.Fatal(err)
	}
	g := testfs.DecodeGIF(t, path)
	if g.LoopCount != 0 || len(g.Image) != 8 || st.Frames != 8 {
		t.Fatalf("loop count %d, %d frames (stats %d); want 0 (forever) and 8", g.LoopCount, len(g.Image), st.Frames)
	}
	fi, _ := os.Stat(path)
	if fi.Size() != st.FrameBytes {
		t.Fatalf("file of %d bytes, stats say %d", fi.Size(), st.FrameBytes)
	}
	for i, d := range g.Delay {
		if want := 5; i%4 == 3 && d != gifHoldCs || i%4 != 3 && d != want {
			t.Fatalf("delays %v, want 5, 5, 5, %d per episode", g.Delay, gifHoldCs)
		}
	}
}

// The frames are written as they are made: the live heap after each frame
// does not grow with the number of frames. 400 frames of 256×256 would
// hold 26 MB as paletted images; the check allows a quarter of what the
// 300 extra frames would hold.
func TestGIFMemoryDoesNotGrowWithFrames(t *testing.T) {
	peak := func(frames int) uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, top := ms.HeapAlloc, ms.HeapAlloc
		n := 0
		gifFrameWritten = func() {
			if n++; n%4 != 0 {
				return
			}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapAlloc)
		}
		defer func() { gifFrameWritten = nil }()
		path := filepath.Join(t.TempDir(), "long.gif")
		// Pendulum with one step an episode: two frames an episode.
		st, err := WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 0),
			GIFOptions{Width: 256, Height: 256, Episodes: frames / 2, MaxSteps: 1})
		if err != nil {
			t.Fatal(err)
		}
		if st.Frames != frames {
			t.Fatalf("%d frames, want %d", st.Frames, frames)
		}
		if top < base {
			return 0
		}
		return top - base
	}
	g100, g400 := peak(100), peak(400)
	extra := uint64(300 * 256 * 256)
	t.Logf("live heap growth: %d KiB for 100 frames, %d KiB for 400", g100>>10, g400>>10)
	if g400 > g100+extra/4 {
		t.Fatalf("live heap grew %d KiB for 400 frames, %d KiB for 100: it grows with the frames (300 frames are %d KiB)",
			g400>>10, g100>>10, extra>>10)
	}
}

// MinSeconds plays further episodes until the simulated time covered
// reaches it, at most 50 episodes in all.
func TestGIFMinSecondsPlaysMoreEpisodes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hop.gif")
	p := randomPlayer(t, "Hopper-v4", 0)
	dt := p.StepSeconds()
	st, err := WriteGIF(context.Background(), path, p,
		GIFOptions{Width: 32, Height: 24, Episodes: 1, MinSeconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MinSeconds 2: %d episodes, %d steps (%.3f s), %d frames", len(st.Returns), st.Steps, float64(st.Steps)*dt, st.Frames)
	if got := float64(st.Steps) * dt; got < 2 || len(st.Returns) < 3 || len(st.Returns) > gifMaxEpisodes {
		t.Fatalf("%d steps (%.3f s) in %d episodes; want at least 2 s in several episodes, at most %d",
			st.Steps, got, len(st.Returns), gifMaxEpisodes)
	}
	g := testfs.DecodeGIF(t, path)
	held := 0
	for _, d := range g.Delay {
		if d == gifHoldCs {
			held++
		}
	}
	if len(g.Image) != st.Frames || held != len(st.Returns) {
		t.Fatalf("%d frames (stats %d), %d held for %d episodes", len(g.Image), st.Frames, held, len(st.Returns))
	}
	// Without it, one episode is one episode.
	st, err = WriteGIF(context.Background(), path, randomPlayer(t, "Hopper-v4", 0),
		GIFOptions{Width: 32, Height: 24, Episodes: 1})
	if err != nil || len(st.Returns) != 1 {
		t.Fatalf("%d episodes without MinSeconds (err %v), want 1", len(st.Returns), err)
	}
	// More than 50 episodes' worth stops at 50.
	st, err = WriteGIF(context.Background(), path, randomPlayer(t, "Hopper-v4", 0),
		GIFOptions{Width: 16, Height: 16, Episodes: 2, MaxSteps: 2, MinSeconds: 1000})
	if err != nil || len(st.Returns) != gifMaxEpisodes {
		t.Fatalf("%d episodes for 1000 s (err %v), want the cap of %d", len(st.Returns), err, gifMaxEpisodes)
	}
	// Episodes beyond the cap are still played when asked for.
	st, err = WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 0),
		GIFOptions{Width: 16, Height: 16, Episodes: 60, MaxSteps: 1, MinSeconds: 1})
	if err != nil || len(st.Returns) != 60 {
		t.Fatalf("%d episodes for Episodes 60 (err %v), want 60", len(st.Returns), err)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := WriteGIF(context.Background(), path, randomPlayer(t, "Pendulum-v1", 0),
			GIFOptions{Width: 16, Height: 16, Episodes: 1, MinSeconds: bad}); err == nil {
			t.Errorf("MinSeconds %v accepted", bad)
		}
	}
}

// A replay has its one episode whatever MinSeconds asks.
func TestGIFReplayIsOneEpisodeWithMinSeconds(t *testing.T) {
	d := pendulumDataset(t)
	rec, p := replayOf(t, d, 0, ReplayActions)
	st, err := WriteGIF(context.Background(), filepath.Join(t.TempDir(), "r.gif"), p,
		GIFOptions{Width: 16, Height: 16, Episodes: 1, MinSeconds: 1e6})
	if err != nil || len(st.Returns) != 1 || st.Steps != rec.Len() {
		t.Fatalf("%d episodes, %d steps (err %v); want 1 and %d", len(st.Returns), st.Steps, err, rec.Len())
	}
}
