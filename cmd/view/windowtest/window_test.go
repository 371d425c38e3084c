package windowtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"offrl/collect"
	"offrl/datasets"
	"offrl/internal/testfs"
	"offrl/policies"
	"offrl/viz"
)

// The programs TestMain builds: view with view-window beside it (the real
// commands, as go install puts them), and a view-window built without cgo
// (the fallback that explains itself).
var (
	demo, demoNoCgo       string
	demoErr, demoNoCgoErr error
)

// windowSize is the viewer's window in the tests, small to keep software
// GL quick.
var windowSize = image.Pt(320, 240)

func TestMain(m *testing.M) {
	xgb.Logger = log.New(io.Discard, "", 0) // no notes about the absent ~/.Xauthority
	dir, err := os.MkdirTemp("", "view-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demo, demoNoCgo = filepath.Join(dir, "view"), filepath.Join(dir, "nocgo", "view-window")
	demoErr = errors.Join(build(demo, "offrl/cmd/view"),
		build(filepath.Join(dir, "view-window"), "offrl/cmd/view/view-window", "CGO_ENABLED=1"))
	demoNoCgoErr = build(demoNoCgo, "offrl/cmd/view/view-window", "CGO_ENABLED=0")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles pkg to out with the extra environment.
func build(out, pkg string, env ...string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s (%s): %v: %s", pkg, strings.Join(env, " "), err, msg)
	}
	return nil
}

// needDemo skips or fails t when the cgo demo did not build (no C
// compiler or no X11 headers: Debian's libx11-dev and friends).
func needDemo(t *testing.T) {
	t.Helper()
	if demoErr != nil {
		skipOrFail(t, "%v", demoErr)
	}
}

// bandRows bounds the height of the heads-up band viz.DrawStatus paints
// over the top of the frame: at 320 pixels the status wraps to at most
// four lines of 15 pixels (plus 2). Below it the window must show the
// renderer's frame unchanged.
const bandRows = 4*15 + 2

// colourTolerance is the largest difference, in 8-bit levels per channel,
// allowed between a pixel the X server shows and the same pixel computed
// on the CPU. The frame travels as 8-bit RGBA through a texture, one
// unscaled draw onto ebiten's screen and one unscaled copy into the
// window, so the only loss is GL's float conversion, which may round
// each of the two draws by half a level: 2 covers that with no room to
// hide a wrong pixel (wrong content differs by tens of levels).
const colourTolerance = 2

// compare returns the largest channel difference between a and b inside
// r and the number of pixels that differ by more than colourTolerance.
func compare(a, b image.Image, r image.Rectangle) (maxDiff, over int) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca, cb := rgb(a, x, y), rgb(b, x, y)
			worst := 0
			for i := range ca {
				worst = max(worst, absDiff(ca[i], cb[i]))
			}
			maxDiff = max(maxDiff, worst)
			if worst > colourTolerance {
				over++
			}
		}
	}
	return maxDiff, over
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// distinctColours counts the colours in img, up to limit.
func distinctColours(img image.Image, limit int) int {
	seen := map[[3]uint8]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < limit; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[rgb(img, x, y)] = true
		}
	}
	return len(seen)
}

// below is the part of the window under the heads-up band.
var below = image.Rect(0, bandRows, windowSize.X, windowSize.Y)

// window is a running view and the X connection that watches it.
type window struct {
	t    *testing.T
	x    *xserver
	id   xproto.Window
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

// waitExit waits up to limit for view to exit after what (a flag or a
// key), and fails unless it exits cleanly; the exit stays readable on
// w.done.
func (w *window) waitExit(t *testing.T, what string, limit time.Duration) {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err
		if err != nil {
			t.Fatalf("view %s: %v: %s", what, err, w.out)
		}
	case <-time.After(limit):
		t.Fatalf("view %s: still running after %v: %s", what, limit, w.out)
	}
}

// openWindow runs view on display with args and waits for its window.
func openWindow(t *testing.T, display string, args ...string) *window {
	t.Helper()
	w := &window{t: t, x: dialX(t, display), out: new(bytes.Buffer), done: make(chan error, 1)}
	w.cmd = exec.Command(demo, append([]string{"--width", fmt.Sprint(windowSize.X),
		"--height", fmt.Sprint(windowSize.Y)}, args...)...)
	w.cmd.Env = append(os.Environ(), "DISPLAY="+display)
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("starting view: %v", err)
	}
	go func() { w.done <- w.cmd.Wait() }()
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.done
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-w.done:
			w.done <- err
			t.Fatalf("view exited before showing a window (%v): %s", err, w.out)
		default:
		}
		id, err := w.x.findWindow(windowSize.X, windowSize.Y)
		if err != nil {
			t.Fatal(err)
		}
		if id != 0 {
			w.id = id
			return w
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %v window on %s after 60 s: %s", windowSize, display, w.out)
	return nil
}

// settle captures the window until two captures 150 ms apart agree and
// differ from prev (if not nil), so that it returns a drawn, paused
// frame that follows the last key press.
func (w *window) settle(prev *image.RGBA) *image.RGBA {
	w.t.Helper()
	full := image.Rectangle{Max: windowSize}
	var last *image.RGBA
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		img, err := w.x.capture(w.id, windowSize.X, windowSize.Y)
		if err != nil {
			w.t.Fatal(err)
		}
		drawn := distinctColours(img, 2) > 1 // a new window is one colour until ebiten draws
		fresh := prev == nil || !bytes.Equal(img.Pix, prev.Pix)
		if drawn && fresh && last != nil {
			if _, over := compare(img, last, full); over == 0 && bytes.Equal(img.Pix, last.Pix) {
				return img
			}
		}
		if drawn && fresh {
			last = img
		}
		time.Sleep(150 * time.Millisecond)
	}
	w.t.Fatalf("the window did not settle on a new, drawn frame in 20 s (drawn frames seen: %t): %s", last != nil, w.out)
	return nil
}

// matchStep finds the step count k at which a fresh player (same
// environment, policy and seed as the demo) draws a frame that the
// capture shows below the band, searching k = from, ..., to. It returns
// k and the largest colour difference, or fails the test.
func matchStep(t *testing.T, envID string, capture image.Image, from, to int) (int, int) {
	t.Helper()
	random, err := policies.ForKind(envID, "random")
	if err != nil {
		t.Fatal(err)
	}
	p, err := viz.NewPlayer(envID, viz.BehaviourPolicy("random", random), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	best, bestK := 256, -1
	for k := 0; k <= to; k++ {
		if k > 0 {
			if err := p.Advance(); err != nil {
				t.Fatalf("reference player, step %d: %v", k, err)
			}
		}
		if k < from {
			continue
		}
		ref, err := p.Frame(windowSize.X, windowSize.Y)
		if err != nil {
			t.Fatal(err)
		}
		maxDiff, over := compare(capture, ref, below)
		if over == 0 {
			return k, maxDiff
		}
		if maxDiff < best {
			best, bestK = maxDiff, k
		}
	}
	t.Fatalf("the window matches no frame of steps %d..%d of the reference player; closest: step %d, max channel difference %d (tolerance %d)",
		from, to, bestK, best, colourTolerance)
	return 0, 0
}

// stepSeconds is the simulated time of one step of envID.
func stepSeconds(t *testing.T, envID string) float64 {
	t.Helper()
	p, err := viz.NewPlayer(envID, viz.BehaviourPolicy("zero", zeroPolicy{}), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return p.StepSeconds()
}

// TestFrameLimit plays unpaused with Options.Frames set: the viewer must
// quit by itself, and its screenshot must show a frame of the episode.
func TestFrameLimit(t *testing.T) {
	needDemo(t)
	display := startXvfb(t, 640, 480)
	shot := filepath.Join(t.TempDir(), "shot.png")
	w := openWindow(t, display, "-env", "Pendulum-v1", "-seed", "1", "-frames", "30", "-screenshot", shot)
	w.waitExit(t, "-frames 30", 30*time.Second)
	saved := testfs.DecodePNG(t, shot)
	k, d := matchStep(t, "Pendulum-v1", saved, 0, 2000)
	t.Logf("after 30 frames the screenshot shows step %d (max channel difference %d)", k, d)
}

// TestReplayStaysOnLastFrame replays a short recording: at its end the
// viewer must keep showing the last recorded state (the end of a replay is
// not an error) until Escape.
func TestReplayStaysOnLastFrame(t *testing.T) {
	needDemo(t)
	const envID, steps = "Hopper-v4", 10 // 0.08 s of play
	data := filepath.Join(t.TempDir(), "hopper-random.parquet")
	if _, err := collect.Run(context.Background(), collect.Options{EnvID: envID, Kind: "random",
		Steps: steps, Seed: 1, Out: data}); err != nil {
		t.Fatal(err)
	}
	d, err := datasets.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := viz.RecordingFromDataset(d, 0, viz.ReplayStates)
	if err != nil {
		t.Fatal(err)
	}
	p, err := viz.NewReplay(envID, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range rec.Len() {
		if err := p.Advance(); err != nil {
			t.Fatalf("reference replay: %v", err)
		}
	}
	if err := p.Advance(); !errors.Is(err, viz.ErrReplayOver) {
		t.Fatalf("reference replay after %d steps: %v, want viz.ErrReplayOver", rec.Len(), err)
	}
	last, err := p.Frame(windowSize.X, windowSize.Y)
	if err != nil {
		t.Fatal(err)
	}

	display := startXvfb(t, 640, 480)
	w := openWindow(t, display, "--dataset", data, "--episode", "0", "--replay", "states")
	time.Sleep(time.Second) // many times the replay's length
	shown := w.settle(nil)
	if d, over := compare(shown, last, below); over > 0 {
		t.Fatalf("a second into a %d-step replay the window is not its last frame: %d pixels differ (max channel difference %d)",
			steps, over, d)
	}
	select {
	case err := <-w.done:
		t.Fatalf("view quit at the end of the replay (%v): %s", err, w.out)
	default:
	}
	w.x.press(t, w.id, keyEscape)
	w.waitExit(t, "after Escape", 20*time.Second)
}

// TestWindowShowsRendererFrames opens the real viewer in Xvfb and checks,
// on captures read from the X server, that it shows the renderer's
// frames: at the start, after a single step, after running for a second,
// and that the screenshot it writes on Escape is what the X server shows.
func TestWindowShowsRendererFrames(t *testing.T) {
	needDemo(t)
	display := startXvfb(t, 640, 480)
	for _, envID := range []string{"Pendulum-v1", "Hopper-v4"} {
		t.Run(envID, func(t *testing.T) {
			shot := filepath.Join(t.TempDir(), "shot.png")
			w := openWindow(t, display, "-env", envID, "-seed", "1", "-paused", "-screenshot", shot)

			start := w.settle(nil)
			if n := distinctColours(start.SubImage(below), 8); n < 3 {
				t.Fatalf("the window shows %d colours below the band, a blank frame", n)
			}
			if n := distinctColours(start.SubImage(image.Rect(0, 0, windowSize.X, bandRows)), 3); n < 2 {
				t.Fatalf("the heads-up band has %d colour(s): no status text", n)
			}
			k, d := matchStep(t, envID, start, 0, 0)
			t.Logf("start: window = renderer's step %d frame, max channel difference %d", k, d)

			w.x.press(t, w.id, keyRight)
			stepped := w.settle(start)
			k, d = matchStep(t, envID, stepped, 1, 1)
			t.Logf("right arrow: window = renderer's step %d frame, max channel difference %d", k, d)

			w.x.press(t, w.id, keySpace) // resume
			time.Sleep(time.Second)
			w.x.press(t, w.id, keySpace) // pause again
			ran := w.settle(stepped)
			if _, over := compare(ran, stepped, below); over < 50 {
				t.Fatalf("after a second of play only %d pixels changed below the band", over)
			}
			k, d = matchStep(t, envID, ran, 2, 2000)
			t.Logf("after ~1 s of play: window = renderer's step %d frame, max channel difference %d", k, d)
			// Play lasted about 1.2 s of wall time (the sleep and the key
			// hold); at speed 1 the simulation should have covered as much.
			// The bounds leave room for a starved CI machine, not for a
			// viewer that steps once a frame or ignores the speed.
			if sim := float64(k) * stepSeconds(t, envID); sim < 0.4 || sim > 2.5 {
				t.Fatalf("about 1.2 s of play at speed 1 took %d steps = %.2f simulated s, want 0.4 to 2.5", k, sim)
			}

			// Up twice: speed 4, so about 0.7 s of play covers about 2.8 s.
			w.x.press(t, w.id, keyUp)
			w.x.press(t, w.id, keyUp)
			w.x.press(t, w.id, keySpace)
			time.Sleep(500 * time.Millisecond)
			w.x.press(t, w.id, keySpace)
			fast := w.settle(ran)
			k2, d := matchStep(t, envID, fast, k+1, k+4000)
			if sim := float64(k2-k) * stepSeconds(t, envID); sim < 1.2 || sim > 6 {
				t.Fatalf("about 0.7 s of play at speed 4 took %d steps = %.2f simulated s, want 1.2 to 6", k2-k, sim)
			}
			t.Logf("after ~0.7 s at speed 4: window = renderer's step %d frame, max channel difference %d", k2, d)
			ran = fast

			w.x.press(t, w.id, keyEscape)
			w.waitExit(t, "after Escape", 20*time.Second)
			saved := testfs.DecodePNG(t, shot)
			if saved.Bounds().Size() != windowSize {
				t.Fatalf("screenshot is %v, the window %v", saved.Bounds().Size(), windowSize)
			}
			d, over := compare(saved, ran, image.Rectangle{Max: windowSize})
			if over > 0 {
				t.Fatalf("the screenshot differs from the X server's window in %d pixels (max channel difference %d)", over, d)
			}
			t.Logf("screenshot = X server capture, heads-up band included: max channel difference %d", d)
		})
	}
}

// zeroPolicy always acts 0; the tests use it where actions do not matter.
type zeroPolicy struct{}

func (zeroPolicy) Name() string { return "zero" }

func (zeroPolicy) Act(_ []float64, _ *rand.Rand, action []float64) { clear(action) }
