package viz

import (
	"bufio"
	"compress/lzw"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// gifEncoder writes an animated GIF89a one frame at a time, so that an
// animation of any length needs the memory of one frame. Every frame has
// its own (local) colour table; there is no global one. The file is
//
//	header "GIF89a"
//	logical screen descriptor (no global colour table)
//	NETSCAPE2.0 application extension (loop count)
//	per frame: graphic control extension (delay, disposal 1 "do not
//	  dispose"), image descriptor with a local colour table, LZW minimum
//	  code size, LZW data in sub-blocks of at most 255 bytes, block
//	  terminator
//	trailer 0x3B (at Close)
//
// Errors are sticky: after the first failed write every call returns it.
type gifEncoder struct {
	w      *bufio.Writer
	screen image.Rectangle
	bw     blockWriter
	frames int
	err    error
	closed bool
}

// newGIFEncoder writes the header, the logical screen descriptor for a
// width × height screen and the looping extension (loopCount 0: forever)
// to w.
func newGIFEncoder(w io.Writer, width, height, loopCount int) (*gifEncoder, error) {
	if width < 1 || height < 1 || width > 0xffff || height > 0xffff {
		return nil, fmt.Errorf("viz: GIF screen %d×%d, want 1 to 65535 pixels a side", width, height)
	}
	if loopCount < 0 || loopCount > 0xffff {
		return nil, fmt.Errorf("viz: GIF loop count %d, want 0 (forever) to 65535", loopCount)
	}
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 32<<10)
	}
	e := &gifEncoder{w: bw, screen: image.Rect(0, 0, width, height)}
	e.bw.w = bw
	e.write([]byte("GIF89a"))
	// Logical screen descriptor: size, packed fields 0 (no global colour
	// table), background colour index 0, pixel aspect ratio 0.
	e.write([]byte{byte(width), byte(width >> 8), byte(height), byte(height >> 8), 0, 0, 0})
	// Application extension: NETSCAPE2.0, sub-block 1 holds the loop count.
	e.write([]byte{0x21, 0xff, 11})
	e.write([]byte("NETSCAPE2.0"))
	e.write([]byte{3, 1, byte(loopCount), byte(loopCount >> 8), 0})
	return e, e.err
}

func (e *gifEncoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// WriteFrame appends m, shown for delayCs hundredths of a second. m must
// lie within the screen and have 1 to 256 palette entries; every pixel
// must index one of them.
func (e *gifEncoder) WriteFrame(m *image.Paletted, delayCs int) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errors.New("viz: GIF frame written after Close")
	}
	b := m.Bounds()
	if b.Empty() || !b.In(e.screen) {
		return fmt.Errorf("viz: GIF frame %v outside the %v screen", b, e.screen)
	}
	n := len(m.Palette)
	if n < 1 || n > 256 {
		return fmt.Errorf("viz: GIF frame palette of %d colours, want 1 to 256", n)
	}
	if delayCs < 0 || delayCs > 0xffff {
		return fmt.Errorf("viz: GIF delay %d/100 s, want 0 to 65535", delayCs)
	}
	// The colour table has 2^(size+1) entries, at least 2.
	size := 0
	for 1<<(size+1) < n {
		size++
	}
	// Graphic control extension: block size 4, packed fields with disposal
	// method 1 (do not dispose) in bits 2-4, no user input, no
	// transparency; delay; transparent index; terminator.
	e.write([]byte{0x21, 0xf9, 4, 1 << 2, byte(delayCs), byte(delayCs >> 8), 0, 0})
	// Image descriptor: position, size, packed fields (local colour table
	// present, not interlaced, not sorted, its size).
	e.write([]byte{0x2c,
		byte(b.Min.X), byte(b.Min.X >> 8), byte(b.Min.Y), byte(b.Min.Y >> 8),
		byte(b.Dx()), byte(b.Dx() >> 8), byte(b.Dy()), byte(b.Dy() >> 8),
		0x80 | byte(size)})
	var table [3 * 256]byte
	for i, c := range m.Palette {
		if rgba, ok := c.(color.RGBA); ok {
			table[3*i], table[3*i+1], table[3*i+2] = rgba.R, rgba.G, rgba.B
			continue
		}
		r, g, bl, _ := color.RGBAModel.Convert(c).RGBA()
		table[3*i], table[3*i+1], table[3*i+2] = byte(r>>8), byte(g>>8), byte(bl>>8)
	}
	e.write(table[:3<<(size+1)]) // padded with black
	// LZW minimum code size: the bits of a colour index, at least 2.
	litWidth := max(2, size+1)
	e.write([]byte{byte(litWidth)})
	if e.err != nil {
		return e.err
	}
	e.bw.n = 0
	lw := lzw.NewWriter(&e.bw, lzw.LSB, litWidth)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := m.Pix[m.PixOffset(b.Min.X, y):][:b.Dx()]
		for _, p := range row {
			if int(p) >= n {
				lw.Close()
				return fmt.Errorf("viz: GIF pixel index %d outside a palette of %d", p, n)
			}
		}
		if _, err := lw.Write(row); err != nil {
			lw.Close()
			e.err = err
			return err
		}
	}
	if err := lw.Close(); err != nil {
		e.err = err
		return err
	}
	e.bw.flushBlock()
	e.bw.close()
	if e.bw.err != nil {
		e.err = e.bw.err
	}
	if e.err == nil {
		e.frames++
	}
	return e.err
}

// Close writes the trailer and flushes; it does not close the underlying
// writer. An animation needs at least one frame.
func (e *gifEncoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return nil
	}
	e.closed = true
	if e.frames == 0 {
		e.err = errors.New("viz: a GIF needs at least one frame")
		return e.err
	}
	e.write([]byte{0x3b})
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

// blockWriter cuts the LZW stream into data sub-blocks of at most 255
// bytes, each led by its length. It is an io.ByteWriter with Flush so that
// compress/lzw writes into it without a buffer of its own.
type blockWriter struct {
	w   *bufio.Writer
	buf [256]byte // buf[0] is the length
	n   int
	err error
}

func (b *blockWriter) WriteByte(c byte) error {
	if b.err != nil {
		return b.err
	}
	b.buf[1+b.n] = c
	b.n++
	if b.n == 255 {
		b.flushBlock()
	}
	return b.err
}

func (b *blockWriter) Write(p []byte) (int, error) {
	for i, c := range p {
		if err := b.WriteByte(c); err != nil {
			return i, err
		}
	}
	return len(p), nil
}

// Flush is called by compress/lzw when it closes; the data is written in
// full blocks and the rest by flushBlock.
func (b *blockWriter) Flush() error { return b.err }

func (b *blockWriter) flushBlock() {
	if b.n == 0 || b.err != nil {
		return
	}
	b.buf[0] = byte(b.n)
	_, b.err = b.w.Write(b.buf[:1+b.n])
	b.n = 0
}

// close writes the block terminator, a sub-block of length 0.
func (b *blockWriter) close() {
	if b.err == nil {
		b.err = b.w.WriteByte(0)
	}
}
