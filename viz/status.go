package viz

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// statusBand is the height in pixels of the band DrawStatus paints.
const statusBand = 17

// DrawStatus writes text in white on a dark band along the top of img, in
// a 7×13 bitmap font (no anti-aliasing, so no new colours appear). Text
// wider than img is cut at its right edge.
func DrawStatus(img draw.Image, text string) {
	b := img.Bounds()
	band := image.Rect(b.Min.X, b.Min.Y, b.Max.X, min(b.Min.Y+statusBand, b.Max.Y))
	draw.Draw(img, band, image.NewUniform(color.RGBA{20, 20, 20, 255}), image.Point{}, draw.Src)
	d := font.Drawer{
		Dst:  img,
		Src:  image.NewUniform(color.RGBA{255, 255, 255, 255}),
		Face: basicfont.Face7x13,
		Dot:  fixed.P(b.Min.X+4, b.Min.Y+13),
	}
	d.DrawString(text)
}
