package windowtest

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// requireXvfb reports whether a missing Xvfb or window toolchain fails the
// tests instead of skipping them.
func requireXvfb() bool { return os.Getenv("OFFRL_REQUIRE_XVFB") == "1" }

// skipOrFail skips t, or fails it when OFFRL_REQUIRE_XVFB=1.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireXvfb() {
		t.Fatalf(format+" (OFFRL_REQUIRE_XVFB=1)", args...)
	}
	t.Skipf(format, args...)
}

// startXvfb starts a private Xvfb of the given screen size on a display
// number it chooses itself (-displayfd), and returns the display name.
// The server is stopped when the test ends.
func startXvfb(t *testing.T, width, height int) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		skipOrFail(t, "Xvfb not installed (Debian: apt-get install xvfb): %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// -noreset: by default the server resets when its last client leaves,
	// and a test connecting in that moment would be refused.
	cmd := exec.Command(bin, "-displayfd", "3", "-noreset", "-screen", "0",
		fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			t.Fatalf("Xvfb exited without a display number: %s", stderr.String())
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb gave no display number in 30 s: %s", stderr.String())
	}
	return ""
}

// xserver is a client connection used to find, capture and type into the
// viewer's window.
type xserver struct {
	conn *xgb.Conn
	root xproto.Window
	// keycodes maps the keysyms the tests type to keycodes.
	keycodes map[xproto.Keysym]xproto.Keycode
	// visual is the root visual; captures are decoded with its masks.
	visual xproto.VisualInfo
}

// Keysyms of the keys the tests press (X11 keysymdef.h).
const (
	keySpace  xproto.Keysym = 0x0020
	keyEscape xproto.Keysym = 0xff1b
	keyRight  xproto.Keysym = 0xff53
	keyUp     xproto.Keysym = 0xff52
)

func dialX(t *testing.T, display string) *xserver {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connecting to Xvfb %s: %v", display, err)
	}
	t.Cleanup(conn.Close)
	if err := xtest.Init(conn); err != nil {
		t.Fatalf("Xvfb %s has no XTEST extension: %v", display, err)
	}
	setup := xproto.Setup(conn)
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		t.Fatalf("X server image byte order %d, the capture decoder handles LSB first only", setup.ImageByteOrder)
	}
	screen := setup.DefaultScreen(conn)
	x := &xserver{conn: conn, root: screen.Root, keycodes: map[xproto.Keysym]xproto.Keycode{}}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual {
				x.visual = v
			}
		}
	}
	if x.visual.RedMask != 0xff0000 || x.visual.GreenMask != 0xff00 || x.visual.BlueMask != 0xff {
		t.Fatalf("root visual masks %#x %#x %#x, want 8-bit RGB", x.visual.RedMask, x.visual.GreenMask, x.visual.BlueMask)
	}
	n := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	km, err := xproto.GetKeyboardMapping(conn, setup.MinKeycode, byte(n)).Reply()
	if err != nil {
		t.Fatalf("reading the keyboard map: %v", err)
	}
	per := int(km.KeysymsPerKeycode)
	for i := range n {
		if sym := km.Keysyms[i*per]; sym != 0 {
			if _, seen := x.keycodes[sym]; !seen {
				x.keycodes[sym] = xproto.Keycode(int(setup.MinKeycode) + i)
			}
		}
	}
	return x
}

// findWindow returns the mapped top-level window of the given size, or 0.
func (x *xserver) findWindow(width, height int) (xproto.Window, error) {
	tree, err := xproto.QueryTree(x.conn, x.root).Reply()
	if err != nil {
		return 0, fmt.Errorf("listing windows: %w", err)
	}
	for _, w := range tree.Children {
		attr, err := xproto.GetWindowAttributes(x.conn, w).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable {
			continue
		}
		g, err := xproto.GetGeometry(x.conn, xproto.Drawable(w)).Reply()
		if err == nil && int(g.Width) == width && int(g.Height) == height {
			return w, nil
		}
	}
	return 0, nil
}

// capture reads the window's pixels back from the X server.
func (x *xserver) capture(w xproto.Window, width, height int) (*image.RGBA, error) {
	reply, err := xproto.GetImage(x.conn, xproto.ImageFormatZPixmap, xproto.Drawable(w),
		0, 0, uint16(width), uint16(height), 0xffffffff).Reply()
	if err != nil {
		return nil, fmt.Errorf("GetImage of window %#x: %w", w, err)
	}
	if reply.Depth != 24 || len(reply.Data) < 4*width*height {
		return nil, fmt.Errorf("GetImage of window %#x: depth %d, %d bytes; want depth 24 at 32 bits a pixel (%d bytes)",
			w, reply.Depth, len(reply.Data), 4*width*height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := range width * height {
		b, g, r := reply.Data[4*i], reply.Data[4*i+1], reply.Data[4*i+2] // LSB first: 0x00RRGGBB
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = r, g, b, 255
	}
	return img, nil
}

// press types one key into window w: it moves the pointer there, gives
// the window the focus and sends a press and, a few frames later, a
// release through XTEST.
func (x *xserver) press(t *testing.T, w xproto.Window, sym xproto.Keysym) {
	t.Helper()
	code, ok := x.keycodes[sym]
	if !ok {
		t.Fatalf("no keycode for keysym %#x in Xvfb's keyboard map", sym)
	}
	xproto.WarpPointer(x.conn, 0, w, 0, 0, 0, 0, 10, 30)
	xproto.SetInputFocus(x.conn, xproto.InputFocusPointerRoot, w, xproto.TimeCurrentTime)
	send := func(kind byte) {
		if err := xtest.FakeInputChecked(x.conn, kind, byte(code), 0, x.root, 0, 0, 0).Check(); err != nil {
			t.Fatalf("XTEST key event %d for keysym %#x: %v", kind, sym, err)
		}
	}
	send(xproto.KeyPress)
	time.Sleep(100 * time.Millisecond) // ebiten polls keys once a tick (1/60 s)
	send(xproto.KeyRelease)
	time.Sleep(100 * time.Millisecond)
}

// rgb returns the colour at (px, py) as 8-bit RGB.
func rgb(img image.Image, px, py int) [3]uint8 {
	c := color.RGBAModel.Convert(img.At(px, py)).(color.RGBA)
	return [3]uint8{c.R, c.G, c.B}
}
