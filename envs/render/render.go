// Package render is a small software rasteriser for drawing environment
// frames with the standard library alone: filled rectangles, circles,
// capsules (thick lines with round ends) and convex polygons on an
// [image.RGBA], in pixel coordinates with y pointing down.
//
//	img := image.NewRGBA(image.Rect(0, 0, 500, 500))
//	render.Clear(img, color.RGBA{255, 255, 255, 255})
//	render.FillCircle(img, 250, 250, 10, color.RGBA{0, 0, 0, 255})
//
// A pixel (x, y) is painted when its centre (x+0.5, y+0.5) lies inside the
// shape; there is no anti-aliasing, so frames are exactly reproducible.
// Shapes may extend past the image: only the pixels inside img.Bounds()
// are touched.
package render

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Point is a position in pixel coordinates (x to the right, y down).
type Point struct {
	X, Y float64
}

// Clear paints every pixel of img with c.
func Clear(img *image.RGBA, c color.RGBA) {
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
}

// FillRect paints the axis-aligned rectangle with corners (x0, y0) and
// (x1, y1); the corners may be given in any order.
func FillRect(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	xmin, xmax := math.Min(x0, x1), math.Max(x0, x1)
	ymin, ymax := math.Min(y0, y1), math.Max(y0, y1)
	fill(img, xmin, ymin, xmax, ymax, c, func(px, py float64) bool {
		return px >= xmin && px < xmax && py >= ymin && py < ymax
	})
}

// FillCircle paints the disc of radius r around (cx, cy). A radius ≤ 0
// paints nothing.
func FillCircle(img *image.RGBA, cx, cy, r float64, c color.RGBA) {
	if !(r > 0) {
		return
	}
	fill(img, cx-r, cy-r, cx+r, cy+r, c, func(px, py float64) bool {
		dx, dy := px-cx, py-cy
		return dx*dx+dy*dy <= r*r
	})
}

// FillCapsule paints every point within distance r of the segment from
// (x0, y0) to (x1, y1): a line of width 2r with round ends. A radius ≤ 0
// paints nothing.
func FillCapsule(img *image.RGBA, x0, y0, x1, y1, r float64, c color.RGBA) {
	if !(r > 0) {
		return
	}
	dx, dy := x1-x0, y1-y0
	length2 := dx*dx + dy*dy
	xmin, xmax := math.Min(x0, x1)-r, math.Max(x0, x1)+r
	ymin, ymax := math.Min(y0, y1)-r, math.Max(y0, y1)+r
	fill(img, xmin, ymin, xmax, ymax, c, func(px, py float64) bool {
		// Project the pixel onto the segment, clamped to its ends.
		t := 0.0
		if length2 > 0 {
			t = ((px-x0)*dx + (py-y0)*dy) / length2
			t = math.Min(math.Max(t, 0), 1)
		}
		ex, ey := px-(x0+t*dx), py-(y0+t*dy)
		return ex*ex+ey*ey <= r*r
	})
}

// FillPolygon paints the convex polygon with the given vertices, listed in
// either winding order. Fewer than three vertices paint nothing; the result
// for a non-convex polygon is its intersection of half-planes, which is
// not the polygon.
func FillPolygon(img *image.RGBA, pts []Point, c color.RGBA) {
	if len(pts) < 3 {
		return
	}
	xmin, ymin := math.Inf(1), math.Inf(1)
	xmax, ymax := math.Inf(-1), math.Inf(-1)
	area2 := 0.0 // twice the signed area; its sign gives the winding
	for i, p := range pts {
		q := pts[(i+1)%len(pts)]
		area2 += p.X*q.Y - q.X*p.Y
		xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
		ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
	}
	if area2 == 0 {
		return
	}
	sign := math.Copysign(1, area2)
	fill(img, xmin, ymin, xmax, ymax, c, func(px, py float64) bool {
		for i, p := range pts {
			q := pts[(i+1)%len(pts)]
			cross := (q.X-p.X)*(py-p.Y) - (q.Y-p.Y)*(px-p.X)
			if cross*sign < 0 {
				return false
			}
		}
		return true
	})
}

// fill paints the pixels whose centres lie in the box [xmin, xmax] ×
// [ymin, ymax], clipped to the image, and for which inside is true.
func fill(img *image.RGBA, xmin, ymin, xmax, ymax float64, c color.RGBA,
	inside func(px, py float64) bool) {
	b := img.Bounds()
	x0, x1 := clampRange(xmin, xmax, b.Min.X, b.Max.X)
	y0, y1 := clampRange(ymin, ymax, b.Min.Y, b.Max.Y)
	for y := y0; y < y1; y++ {
		py := float64(y) + 0.5
		for x := x0; x < x1; x++ {
			if inside(float64(x)+0.5, py) {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

// clampRange turns the real interval [lo, hi] into the half-open range of
// integer pixel indices whose centres may fall in it, limited to
// [minIdx, maxIdx). NaN bounds give an empty range.
func clampRange(lo, hi float64, minIdx, maxIdx int) (int, int) {
	if !(lo <= hi) {
		return 0, 0
	}
	lo = math.Max(math.Floor(lo-0.5), float64(minIdx))
	hi = math.Min(math.Ceil(hi+0.5), float64(maxIdx))
	if lo >= hi {
		return 0, 0
	}
	return int(lo), int(hi)
}
