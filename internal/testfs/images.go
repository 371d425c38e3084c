package testfs

import (
	"image"
	"image/gif"
	"image/png"
	"os"
	"testing"
)

// DecodePNG fails t unless the file at path is a PNG, and returns it.
func DecodePNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s does not decode as a PNG: %v", path, err)
	}
	return img
}

// DecodeGIF fails t unless the file at path is a GIF, and returns all of
// its frames.
func DecodeGIF(t testing.TB, path string) *gif.GIF {
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
