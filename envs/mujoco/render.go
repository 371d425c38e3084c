package mujoco

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"

	"offrl/envs/physics"
	"offrl/envs/render"
)

// view is a task's render camera: an orthographic projection onto the x–z
// plane seen from −y (side, x to the right and z up, like the "track"
// cameras of the model files) or onto the x–y plane seen from +z (top, x
// to the right and y up).
type view struct {
	top    bool
	extent float64 // world metres spanned by the image's shorter side
	center float64 // world z (side) or y (top) at the image centre
	track  string  // body whose x the camera follows; "" keeps x = 0
}

// fovy is the vertical field of view of MuJoCo's free camera in degrees
// (mjVisual global.fovy default 45), used to turn Gymnasium's camera
// distances into a visible extent.
const fovy = 45.0

// sideView returns a side camera framing what Gymnasium's free camera at
// distance sees (DEFAULT_CAMERA_CONFIG in each *_v4.py), centred at
// height centerZ.
func sideView(distance, centerZ float64, track string) view {
	extent := 2 * distance * math.Tan(fovy/2*math.Pi/180)
	return view{extent: extent, center: centerZ, track: track}
}

// topView returns a top-down camera spanning extent metres.
func topView(extent float64, track string) view {
	return view{top: true, extent: extent, track: track}
}

// Colours of the scene.
var (
	skyColor   = color.RGBA{178, 204, 230, 255}
	floorColor = color.RGBA{92, 110, 128, 255}
	gridColor  = color.RGBA{56, 68, 82, 255}
	worldColor = color.RGBA{150, 150, 150, 255}
	bodyColors = []color.RGBA{
		{204, 153, 102, 255}, {179, 115, 77, 255}, {217, 179, 128, 255},
		{153, 102, 64, 255}, {230, 140, 90, 255}, {191, 128, 115, 255},
	}
)

// gridSpacing is the distance between floor grid lines, in metres.
const gridSpacing = 0.5

// shape is one geom projected to the image plane.
type shape struct {
	depth  float64 // farther shapes are drawn first
	x0, y0 float64 // segment ends in pixels (equal for a sphere)
	x1, y1 float64
	r      float64 // radius in pixels
	fill   color.RGBA
}

// Render draws the current state as a width×height RGB frame: sky, the
// floor with grid lines every 0.5 m (so that motion along x is visible),
// and every sphere, capsule and cylinder geom of the model projected
// orthographically onto the camera plane (boxes as their bounding
// spheres). Hopper, Walker2d, HalfCheetah and the pendulums are seen from
// the side (x–z plane), Reacher and Swimmer from above (x–y plane); the
// camera follows the torso's x where the task has one. Geoms come from
// the body frames of the last dynamics evaluation (what MuJoCo's renderer
// shows after mj_step). Render does not change the state. Sizes below 1
// pixel are an error.
func (b *base) Render(width, height int) (image.Image, error) {
	if width < 1 || height < 1 {
		return nil, fmt.Errorf("%s: render size %dx%d, want at least 1x1",
			b.name, width, height)
	}
	v := &b.view
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	render.Clear(img, skyColor)
	scale := float64(min(width, height)) / v.extent // pixels per metre
	camX := 0.0
	if v.track != "" {
		if bi, err := bodyIndex(b.m, v.track); err == nil {
			camX = b.bodyPos(bi)[0]
		}
	}
	w2, h2 := float64(width)/2, float64(height)/2
	// project maps world (x, vertical) to pixels; vertical is z or y.
	project := func(p physics.Vec3) (float64, float64) {
		up := p[2]
		if v.top {
			up = p[1]
		}
		return w2 + (p[0]-camX)*scale, h2 - (up-v.center)*scale
	}

	shapes := make([]shape, 0, len(b.m.Geoms))
	for gi := range b.m.Geoms {
		g := &b.m.Geoms[gi]
		pos, rot := b.d.BodyFrame(g.Body)
		center := add3(pos, mulMat(rot, g.Pos))
		if g.Type == physics.GeomPlane {
			b.drawPlane(img, g, center, project, scale)
			continue
		}
		s := shape{fill: geomColor(g.Body)}
		axis := mulMat(rot, quatRotate(g.Quat, physics.Vec3{0, 0, 1}))
		half := 0.0
		switch g.Type {
		case physics.GeomSphere:
			s.r = g.Size[0]
		case physics.GeomCapsule, physics.GeomCylinder:
			s.r, half = g.Size[0], g.Size[1]
		default:
			s.r = math.Sqrt(g.Size[0]*g.Size[0] + g.Size[1]*g.Size[1] + g.Size[2]*g.Size[2])
		}
		a := physics.Vec3{center[0] - half*axis[0], center[1] - half*axis[1],
			center[2] - half*axis[2]}
		c := physics.Vec3{center[0] + half*axis[0], center[1] + half*axis[1],
			center[2] + half*axis[2]}
		s.x0, s.y0 = project(a)
		s.x1, s.y1 = project(c)
		s.r *= scale
		if v.top {
			s.depth = -center[2]
		} else {
			s.depth = center[1]
		}
		shapes = append(shapes, s)
	}
	slices.SortStableFunc(shapes, func(p, q shape) int {
		switch {
		case p.depth > q.depth:
			return -1
		case p.depth < q.depth:
			return 1
		}
		return 0
	})
	for _, s := range shapes {
		render.FillCapsule(img, s.x0, s.y0, s.x1, s.y1, math.Max(s.r, 0.5), s.fill)
	}
	return img, nil
}

// drawPlane draws plane geom g centred at world point c: from the side a
// ground region below its height, from above a rectangle of its size
// (unbounded when the size is 0); both with grid lines every gridSpacing
// metres at fixed world positions.
func (b *base) drawPlane(img *image.RGBA, g *physics.Geom, c physics.Vec3,
	project func(physics.Vec3) (float64, float64), scale float64) {
	bounds := img.Bounds()
	w, h := float64(bounds.Dx()), float64(bounds.Dy())
	// World x (and y from above) range covered by the image.
	xl, _ := project(physics.Vec3{})
	xMin, xMax := -xl/scale, (w-xl)/scale
	hx, hy := g.Size[0], g.Size[1]
	if hx > 0 {
		xMin, xMax = math.Max(xMin, c[0]-hx), math.Min(xMax, c[0]+hx)
	}
	line := math.Max(1, 0.01*scale)
	if !b.view.top {
		_, top := project(c)
		x0, _ := project(physics.Vec3{xMin, 0, 0})
		x1, _ := project(physics.Vec3{xMax, 0, 0})
		render.FillRect(img, x0, top, x1, h, floorColor)
		for x := math.Ceil(xMin/gridSpacing) * gridSpacing; x <= xMax; x += gridSpacing {
			px, _ := project(physics.Vec3{x, 0, 0})
			render.FillRect(img, px-line/2, top, px+line/2, h, gridColor)
		}
		render.FillRect(img, x0, top-line/2, x1, top+line/2, gridColor)
		return
	}
	_, yt := project(physics.Vec3{})
	yMin, yMax := (yt-h)/scale, yt/scale // world y at the bottom and top rows
	if hy > 0 {
		yMin, yMax = math.Max(yMin, c[1]-hy), math.Min(yMax, c[1]+hy)
	}
	x0, y0 := project(physics.Vec3{xMin, yMin, 0})
	x1, y1 := project(physics.Vec3{xMax, yMax, 0})
	render.FillRect(img, x0, y0, x1, y1, floorColor)
	for x := math.Ceil(xMin/gridSpacing) * gridSpacing; x <= xMax; x += gridSpacing {
		px, _ := project(physics.Vec3{x, 0, 0})
		render.FillRect(img, px-line/2, y1, px+line/2, y0, gridColor)
	}
	for y := math.Ceil(yMin/gridSpacing) * gridSpacing; y <= yMax; y += gridSpacing {
		_, py := project(physics.Vec3{0, y, 0})
		render.FillRect(img, x0, py-line/2, x1, py+line/2, gridColor)
	}
}

// geomColor returns the fill colour of a geom on body bi: grey for the
// world's fixed geoms, otherwise a palette colour per body.
func geomColor(bi int) color.RGBA {
	if bi == 0 {
		return worldColor
	}
	return bodyColors[(bi-1)%len(bodyColors)]
}

// quatRotate returns v rotated by the unit quaternion q = (w, x, y, z).
func quatRotate(q physics.Quat, v physics.Vec3) physics.Vec3 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	// t = 2·(q_xyz × v); v' = v + w·t + q_xyz × t.
	tx := 2 * (y*v[2] - z*v[1])
	ty := 2 * (z*v[0] - x*v[2])
	tz := 2 * (x*v[1] - y*v[0])
	return physics.Vec3{
		v[0] + w*tx + (y*tz - z*ty),
		v[1] + w*ty + (z*tx - x*tz),
		v[2] + w*tz + (x*ty - y*tx),
	}
}
