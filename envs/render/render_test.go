package render

import (
	"image"
	"image/color"
	"math"
	"testing"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

// newCanvas returns a white w×h image.
func newCanvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	Clear(img, white)
	return img
}

// countPainted returns how many pixels of img equal c.
func countPainted(img *image.RGBA, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name      string
		draw      func(img *image.RGBA)
		wantArea  float64 // exact area of the shape in pixels
		tolerance float64 // allowed |painted − wantArea|
		inside    []image.Point
		outside   []image.Point
	}{
		{
			name:     "rectangle on pixel edges is exact",
			draw:     func(img *image.RGBA) { FillRect(img, 10, 20, 30, 25, black) },
			wantArea: 100,
			inside:   []image.Point{{10, 20}, {29, 24}},
			outside:  []image.Point{{9, 20}, {30, 20}, {10, 25}},
		},
		{
			name:     "rectangle with swapped corners",
			draw:     func(img *image.RGBA) { FillRect(img, 30, 25, 10, 20, black) },
			wantArea: 100,
			inside:   []image.Point{{10, 20}},
			outside:  []image.Point{{30, 25}},
		},
		{
			name:      "circle",
			draw:      func(img *image.RGBA) { FillCircle(img, 50, 50, 20, black) },
			wantArea:  math.Pi * 400,
			tolerance: 20,
			inside:    []image.Point{{50, 50}, {31, 50}, {50, 68}},
			outside:   []image.Point{{29, 50}, {35, 35}},
		},
		{
			name:      "horizontal capsule",
			draw:      func(img *image.RGBA) { FillCapsule(img, 20, 50, 80, 50, 5, black) },
			wantArea:  60*10 + math.Pi*25,
			tolerance: 12,
			inside:    []image.Point{{50, 46}, {50, 53}, {16, 50}, {83, 50}},
			outside:   []image.Point{{50, 44}, {50, 56}, {13, 50}},
		},
		{
			name: "diagonal capsule",
			draw: func(img *image.RGBA) {
				FillCapsule(img, 20, 20, 80, 80, 4, black)
			},
			wantArea:  math.Hypot(60, 60)*8 + math.Pi*16,
			tolerance: 20,
			inside:    []image.Point{{50, 50}, {20, 20}},
			outside:   []image.Point{{80, 20}, {20, 80}},
		},
		{
			name: "triangle, either winding",
			draw: func(img *image.RGBA) {
				FillPolygon(img, []Point{{10, 10}, {90, 10}, {10, 90}}, black)
				FillPolygon(img, []Point{{90, 90}, {90, 10}, {10, 90}}, black)
			},
			wantArea:  80 * 80,
			tolerance: 1,
			inside:    []image.Point{{10, 10}, {89, 89}, {50, 50}},
			outside:   []image.Point{{9, 50}, {90, 50}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := newCanvas(100, 100)
			tt.draw(img)
			got := float64(countPainted(img, black))
			if math.Abs(got-tt.wantArea) > tt.tolerance {
				t.Errorf("painted %v pixels, want %.1f ± %v", got, tt.wantArea, tt.tolerance)
			}
			for _, p := range tt.inside {
				if img.RGBAAt(p.X, p.Y) != black {
					t.Errorf("pixel %v not painted, want painted", p)
				}
			}
			for _, p := range tt.outside {
				if img.RGBAAt(p.X, p.Y) != white {
					t.Errorf("pixel %v painted, want untouched", p)
				}
			}
		})
	}
}

func TestShapesClipToImage(t *testing.T) {
	tests := []struct {
		name string
		draw func(img *image.RGBA)
		want int
	}{
		{"rect covering everything", func(img *image.RGBA) { FillRect(img, -1e9, -1e9, 1e9, 1e9, black) }, 400},
		{"circle far outside", func(img *image.RGBA) { FillCircle(img, -100, -100, 10, black) }, 0},
		{"circle around the image", func(img *image.RGBA) { FillCircle(img, 10, 10, 100, black) }, 400},
		{"infinite capsule", func(img *image.RGBA) { FillCapsule(img, 0, 0, math.Inf(1), 0, 1, black) }, 0},
		{"NaN circle", func(img *image.RGBA) { FillCircle(img, math.NaN(), 0, 5, black) }, 0},
		{"zero radius", func(img *image.RGBA) { FillCircle(img, 10, 10, 0, black) }, 0},
		{"degenerate polygon", func(img *image.RGBA) { FillPolygon(img, []Point{{0, 0}, {5, 5}, {10, 10}}, black) }, 0},
		{"two-point polygon", func(img *image.RGBA) { FillPolygon(img, []Point{{0, 0}, {5, 5}}, black) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := newCanvas(20, 20)
			tt.draw(img)
			if got := countPainted(img, black); got != tt.want {
				t.Errorf("painted %d pixels, want %d", got, tt.want)
			}
		})
	}
}

func TestShapesOnOffsetBounds(t *testing.T) {
	img := image.NewRGBA(image.Rect(100, 100, 110, 110))
	Clear(img, white)
	FillRect(img, 0, 0, 105, 105, black)
	if got := countPainted(img, black); got != 25 {
		t.Errorf("painted %d pixels, want 25", got)
	}
}

func BenchmarkFillCapsule(b *testing.B) {
	img := newCanvas(500, 500)
	for b.Loop() {
		FillCapsule(img, 250, 250, 400, 100, 10, black)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "shapes/s")
}
