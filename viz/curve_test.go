package viz

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestCurveWritesAReadablePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curve.png")
	c := Curve{Title: "td3bc on pendulum-medium-v0", Reference: 33, ReferenceLabel: "dataset",
		Points: []CurvePoint{{Step: 1000, Score: 10, Std: 5}, {Step: 2000, Score: 50, Std: 8}, {Step: 3000, Score: 70, Std: 2}}}
	if err := c.WritePNG(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("curve.png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 250 {
		t.Fatalf("curve.png is %dx%d, want at least 400x250", b.Dx(), b.Dy())
	}
	// A single point and no reference still draws.
	one := Curve{Title: "one", Reference: math.NaN(), Points: []CurvePoint{{Step: 5, Score: 1}}}
	if err := one.WritePNG(filepath.Join(t.TempDir(), "one.png")); err != nil {
		t.Fatal(err)
	}
	if err := (Curve{Title: "empty"}).WritePNG(filepath.Join(t.TempDir(), "e.png")); err == nil {
		t.Fatal("an empty curve was written")
	}
}
