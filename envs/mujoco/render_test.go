package mujoco

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// pixels returns img's RGBA bytes.
func pixels(t testing.TB, img image.Image) []byte {
	t.Helper()
	rgba, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("Render returned %T, want *image.RGBA", img)
	}
	return rgba.Pix
}

func TestRender(t *testing.T) {
	sizes := []struct{ w, h int }{{84, 84}, {480, 480}, {64, 48}, {1, 1}}
	for _, tk := range tasks {
		t.Run(tk.id, func(t *testing.T) {
			env := build(t, tk.id)
			state := env.State()
			for _, sz := range sizes {
				img, err := env.Render(sz.w, sz.h)
				if err != nil {
					t.Fatalf("Render(%d, %d) = %v", sz.w, sz.h, err)
				}
				if b := img.Bounds(); b.Dx() != sz.w || b.Dy() != sz.h {
					t.Fatalf("Render(%d, %d) has size %v", sz.w, sz.h, b)
				}
				again, _ := env.Render(sz.w, sz.h)
				if !bytes.Equal(pixels(t, img), pixels(t, again)) {
					t.Errorf("Render(%d, %d) differs between calls", sz.w, sz.h)
				}
				if sz.w >= 64 && colours(img) < 3 {
					t.Errorf("Render(%d, %d) has %d colours, want sky, floor or rails and bodies",
						sz.w, sz.h, colours(img))
				}
			}
			if !equal(env.State(), state) {
				t.Errorf("Render changed the state")
			}
			for _, bad := range [][2]int{{0, 10}, {10, -1}} {
				if _, err := env.Render(bad[0], bad[1]); err == nil {
					t.Errorf("Render(%d, %d) = nil error", bad[0], bad[1])
				}
			}
			// Moving the state changes the frame.
			before, _ := env.Render(84, 84)
			moved := append([]float64(nil), state...)
			moved[1] += 0.3
			mustSet(t, env, moved)
			after, _ := env.Render(84, 84)
			if bytes.Equal(pixels(t, before), pixels(t, after)) {
				t.Errorf("changing qpos[1] by 0.3 left the frame unchanged")
			}
			if dir := os.Getenv("MUJOCO_RENDER_DIR"); dir != "" {
				img, _ := env.Render(480, 480)
				f, err := os.Create(filepath.Join(dir, tk.id+".png"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// colours counts the distinct colours of img.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// BenchmarkRender reports frames per second at 84×84 and 480×480.
func BenchmarkRender(b *testing.B) {
	for _, tk := range tasks {
		for _, size := range []int{84, 480} {
			b.Run(fmt.Sprintf("%s/%d", tk.id, size), func(b *testing.B) {
				env := mustNew(b, tk)
				if _, _, err := env.Reset(0); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := env.Render(size, size); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}

// BenchmarkStep reports the cost of a step with a zero action, going back
// to the reset state every 1000 steps (an episode) or on termination.
func BenchmarkStep(b *testing.B) {
	for _, tk := range tasks {
		b.Run(tk.id, func(b *testing.B) {
			env := mustNew(b, tk)
			if _, _, err := env.Reset(0); err != nil {
				b.Fatal(err)
			}
			state := env.State()
			action := make([]float64, env.ActionSpace().Dim())
			b.ReportAllocs()
			steps := 0
			for b.Loop() {
				res, err := env.Step(action)
				if err != nil {
					b.Fatal(err)
				}
				if steps++; res.Terminated || steps%1000 == 0 {
					_ = env.SetState(state)
					env.core().started = true
				}
			}
		})
	}
}
