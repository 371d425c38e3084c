package viz

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Status lines are drawn in a 7×13 bitmap font, one line every
// statusLine pixels.
const (
	statusCharWidth = 7
	statusLine      = 15
)

// DrawStatus writes text in white on a dark band along the top of img, in
// a 7×13 bitmap font (no anti-aliasing, so no new colours appear). The
// text is broken into lines at its double spaces where it is wider than
// img; a single field wider than img is cut at the right edge.
func DrawStatus(img draw.Image, text string) {
	b := img.Bounds()
	lines := wrapFields(text, max(1, (b.Dx()-8)/statusCharWidth))
	band := image.Rect(b.Min.X, b.Min.Y, b.Max.X, min(b.Min.Y+statusLine*len(lines)+2, b.Max.Y))
	draw.Draw(img, band, image.NewUniform(color.RGBA{20, 20, 20, 255}), image.Point{}, draw.Src)
	d := font.Drawer{
		Dst:  img,
		Src:  image.NewUniform(color.RGBA{255, 255, 255, 255}),
		Face: basicfont.Face7x13,
	}
	for i, line := range lines {
		d.Dot = fixed.P(b.Min.X+4, b.Min.Y+12+statusLine*i)
		d.DrawString(line)
	}
}

// wrapFields joins the double-space-separated fields of text into lines
// of at most width characters where it can.
func wrapFields(text string, width int) []string {
	var lines []string
	cur := ""
	for _, f := range strings.Split(text, "  ") {
		switch {
		case cur == "":
			cur = f
		case utf8.RuneCountInString(cur)+2+utf8.RuneCountInString(f) <= width:
			cur += "  " + f
		default:
			lines = append(lines, cur)
			cur = f
		}
	}
	return append(lines, cur)
}
