package physics

import (
	"fmt"
	"math"
	"strings"
)

// This file compiles a parsed MJCF tree (mjcf.go) into a [Model]
// (model.go): options, bodies, joints, geoms, sites and motors, as MuJoCo
// 2.2.2's compiler does; attributes are resolved (default classes,
// inheritance, orientations, units) in attrs.go, and masses and inertias
// are derived in inertia.go.

// compiler state while walking the tree.
type compiler struct {
	file    string
	m       *Model
	classes map[string]*defClass
	degree  bool
	joints  map[string]int
	bodies  []*Node // element of each body, for error messages (world: nil)
	comp    *Node   // the <compiler> element, nil if none
	sawMain bool    // a top-level <default> was read
}

// Compile turns a parsed MJCF tree into a Model.
func Compile(root *Node, filename string) (*Model, error) {
	c := &compiler{file: filename, classes: map[string]*defClass{}, degree: true,
		joints: map[string]int{}}
	m := &Model{File: filename, Name: root.Attr["model"]}
	c.m = m
	// MuJoCo 2.2.2 defaults (mj_defaultOption).
	m.Option = Option{Timestep: 0.002, Gravity: Vec3{0, 0, -9.81}, Impratio: 1,
		Tolerance: 1e-8, Solver: 2, Iterations: 100, Integrator: Euler}
	m.Compiler.SetTotalMass = -1
	main := &defClass{name: "main", attrs: map[string]*Node{}}
	c.classes["main"] = main
	var world, act *Node
	for _, n := range root.Children {
		var err error
		switch n.Tag {
		case "compiler":
			err = c.compiler(n)
		case "option":
			err = c.option(n)
		case "default":
			err = c.defaults(n, nil)
		case "worldbody":
			if world != nil {
				err = c.errf(n, "", "", "more than one <worldbody>")
			}
			world = n
		case "actuator":
			if act != nil {
				err = c.errf(n, "", "", "more than one <actuator>")
			}
			act = n
		}
		if err != nil {
			return nil, err
		}
	}
	c.bodies = []*Node{nil}
	m.Bodies = []Body{{Name: "world", Quat: Quat{1, 0, 0, 0}, IQuat: Quat{1, 0, 0, 0},
		JntAdr: -1, DofAdr: -1}}
	if world != nil {
		if err := c.bodyContents(world, 0, main); err != nil {
			return nil, err
		}
	}
	if act != nil {
		for _, n := range act.Children {
			if err := c.motor(n, main); err != nil {
				return nil, err
			}
		}
	}
	m.Nq, m.Nv, m.Nu = len(m.Qpos0), len(m.Qpos0), len(m.Actuators)
	if err := c.finishMass(); err != nil {
		return nil, err
	}
	return m, nil
}

// errf builds a ParseError about node n; attr and val name the attribute.
func (c *compiler) errf(n *Node, attr, val, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if attr != "" {
		msg = fmt.Sprintf("attribute %s=%q: %s", attr, val, msg)
	}
	return &ParseError{File: c.file, Line: n.Line, Elem: n.Tag, Msg: msg}
}

func (c *compiler) compiler(n *Node) error {
	c.comp = n
	if v, ok := n.attrString("angle"); ok {
		switch v {
		case "degree":
			c.degree = true
		case "radian":
			c.degree = false
		default:
			return c.errf(n, "angle", v, "want degree or radian")
		}
	}
	if v, ok := n.attrString("coordinate"); ok && v != "local" {
		return c.errf(n, "coordinate", v, "only local coordinates are supported")
	}
	// Without <inertial> elements (unsupported) "auto" means the same as "true".
	if v, ok := n.attrString("inertiafromgeom"); ok && v != "true" && v != "auto" {
		return c.errf(n, "inertiafromgeom", v, "only true or auto is supported")
	}
	if _, ok := n.Attr["settotalmass"]; ok {
		if err := c.lfloat(layers{n}, "settotalmass", &c.m.Compiler.SetTotalMass); err != nil {
			return err
		}
	}
	c.m.Compiler.Degree = c.degree
	return nil
}

func (c *compiler) option(n *Node) error {
	o := &c.m.Option
	ls := layers{n}
	if err := c.lfloats(ls, "gravity", o.Gravity[:], true); err != nil {
		return err
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"timestep", &o.Timestep}, {"density", &o.Density}, {"viscosity", &o.Viscosity}} {
		if err := c.lfloat(ls, f.key, f.dst); err != nil {
			return err
		}
	}
	if o.Timestep <= 0 {
		return c.errf(n, "timestep", n.Attr["timestep"], "must be positive")
	}
	// The solver here reaches the exact optimum, so the iteration cap is
	// only recorded (D4RL's point_maze sets iterations=20).
	if err := c.lint(ls, "iterations", &o.Iterations); err != nil {
		return err
	}
	if o.Iterations < 1 {
		return c.errf(n, "iterations", n.Attr["iterations"], "must be positive")
	}
	if v, ok := n.attrString("integrator"); ok {
		switch v {
		case "Euler":
			o.Integrator = Euler
		case "RK4":
			o.Integrator = RK4
		default:
			return c.errf(n, "integrator", v, "only Euler and RK4 are supported")
		}
	}
	return nil
}

// bodyContents compiles the joints, geoms, sites and child bodies of the
// body element n (or of <worldbody>), whose index is bi.
func (c *compiler) bodyContents(n *Node, bi int, childclass *defClass) error {
	for _, ch := range n.Children {
		var err error
		switch ch.Tag {
		case "joint":
			err = c.joint(ch, bi, childclass)
		case "geom":
			err = c.geom(ch, bi, childclass)
		case "site":
			err = c.site(ch, bi, childclass)
		}
		if err != nil {
			return err
		}
	}
	for _, ch := range n.Children {
		if ch.Tag == "body" {
			if err := c.body(ch, bi, childclass); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiler) body(n *Node, parent int, childclass *defClass) error {
	if name, ok := n.attrString("childclass"); ok {
		childclass = c.classes[name]
		if childclass == nil {
			return c.errf(n, "childclass", name, "unknown default class")
		}
	}
	b := Body{Name: n.Attr["name"], Parent: parent, Quat: Quat{1, 0, 0, 0},
		IQuat: Quat{1, 0, 0, 0}, JntAdr: -1, DofAdr: -1}
	ls := layers{n}
	if err := c.lfloats(ls, "pos", b.Pos[:], true); err != nil {
		return err
	}
	if err := c.orientation(ls, &b.Quat); err != nil {
		return err
	}
	c.m.Bodies = append(c.m.Bodies, b)
	c.bodies = append(c.bodies, n)
	return c.bodyContents(n, len(c.m.Bodies)-1, childclass)
}

func (c *compiler) joint(n *Node, bi int, childclass *defClass) error {
	if bi == 0 {
		return c.errf(n, "", "", "joint in worldbody")
	}
	ls, err := c.layers(n, childclass)
	if err != nil {
		return err
	}
	// Defaults: MuJoCo 2.2.2 mjCJoint constructor (user_objects.cc).
	j := Joint{Name: n.Attr["name"], Type: JointHinge, Body: bi, Axis: Vec3{0, 0, 1},
		SolRef: [2]float64{0.02, 1}, SolImp: [5]float64{0.9, 0.95, 0.001, 0.5, 2}}
	if l := ls.last("type"); l != nil {
		switch v := strings.TrimSpace(l.Attr["type"]); v {
		case "hinge":
			j.Type = JointHinge
		case "slide":
			j.Type = JointSlide
		default:
			return c.errf(l, "type", v, "only hinge and slide joints are supported")
		}
	}
	for _, f := range []struct {
		key   string
		dst   []float64
		exact bool
	}{
		{"pos", j.Pos[:], true}, {"axis", j.Axis[:], true}, {"range", j.Range[:], true},
		{"solreflimit", j.SolRef[:], false}, {"solimplimit", j.SolImp[:], false},
	} {
		if err := c.lfloats(ls, f.key, f.dst, f.exact); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{
		{"ref", &j.Ref}, {"springref", &j.SpringRef}, {"stiffness", &j.Stiffness},
		{"damping", &j.Damping}, {"armature", &j.Armature},
		{"frictionloss", &j.FrictionLoss}, {"margin", &j.Margin},
	} {
		if err := c.lfloat(ls, f.key, f.dst); err != nil {
			return err
		}
	}
	if err := c.lbool(ls, "limited", &j.Limited); err != nil {
		return err
	}
	if l := ls.last("axis"); l != nil && normalize(&j.Axis) < mjMinVal {
		return c.errf(l, "axis", l.Attr["axis"], "zero axis")
	}
	if j.Type == JointHinge {
		j.Range[0], j.Range[1] = c.angle(j.Range[0]), c.angle(j.Range[1])
		j.Ref, j.SpringRef = c.angle(j.Ref), c.angle(j.SpringRef)
	}
	if j.Limited && j.Range[0] >= j.Range[1] {
		l := ls.last("range")
		if l == nil {
			l = n
		}
		return c.errf(l, "range", l.Attr["range"], "limited joint needs range lo < hi")
	}
	m := c.m
	if _, dup := c.joints[j.Name]; dup && j.Name != "" {
		return c.errf(n, "name", j.Name, "joint name used twice")
	}
	j.QposAdr, j.DofAdr = len(m.Qpos0), len(m.Qpos0)
	ji := len(m.Joints)
	if j.Name != "" {
		c.joints[j.Name] = ji
	}
	b := &m.Bodies[bi]
	if b.JntNum == 0 {
		b.JntAdr, b.DofAdr = ji, j.DofAdr
	}
	b.JntNum++
	b.DofNum++
	m.Joints = append(m.Joints, j)
	m.Qpos0 = append(m.Qpos0, j.Ref)
	m.QposSpring = append(m.QposSpring, j.SpringRef)
	m.DofBody = append(m.DofBody, bi)
	m.DofJoint = append(m.DofJoint, ji)
	return nil
}

func (c *compiler) geom(n *Node, bi int, childclass *defClass) error {
	ls, err := c.layers(n, childclass)
	if err != nil {
		return err
	}
	// Defaults: MuJoCo 2.2.2 mjCGeom constructor (user_objects.cc).
	g := Geom{Name: n.Attr["name"], Type: GeomSphere, Body: bi, Quat: Quat{1, 0, 0, 0},
		Contype: 1, Conaffinity: 1, Condim: 3, Friction: Vec3{1, 0.005, 0.0001},
		SolRef: [2]float64{0.02, 1}, SolImp: [5]float64{0.9, 0.95, 0.001, 0.5, 2},
		Density: 1000}
	if l := ls.last("type"); l != nil {
		v := strings.TrimSpace(l.Attr["type"])
		t, ok := geomTypeNames[v]
		if !ok {
			return c.errf(l, "type", v, "unsupported geom type")
		}
		g.Type = t
	}
	for _, f := range []struct {
		key   string
		dst   []float64
		exact bool
	}{
		{"size", g.Size[:], false}, {"pos", g.Pos[:], true},
		{"friction", g.Friction[:], false},
		{"solref", g.SolRef[:], false}, {"solimp", g.SolImp[:], false},
	} {
		if err := c.lfloats(ls, f.key, f.dst, f.exact); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"margin", &g.Margin}, {"gap", &g.Gap}, {"density", &g.Density}} {
		if err := c.lfloat(ls, f.key, f.dst); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"contype", &g.Contype}, {"conaffinity", &g.Conaffinity}, {"condim", &g.Condim}} {
		if err := c.lint(ls, f.key, f.dst); err != nil {
			return err
		}
	}
	if g.Condim != 1 && g.Condim != 3 && g.Condim != 4 && g.Condim != 6 {
		l := ls.last("condim")
		return c.errf(l, "condim", l.Attr["condim"], "must be 1, 3, 4 or 6")
	}
	if err := c.orientation(ls, &g.Quat); err != nil {
		return err
	}
	if l := ls.last("fromto"); l != nil {
		if err := c.fromto(l, &g); err != nil {
			return err
		}
	}
	if err := c.checkSize(n, &g); err != nil {
		return err
	}
	if bi != 0 {
		if g.Type == GeomPlane {
			return c.errf(n, "type", "plane", "planes must belong to the world body")
		}
		g.Mass = g.Density * geomVolume(&g)
	}
	c.m.Geoms = append(c.m.Geoms, g)
	return nil
}

// fromto sets pos, quat and half-length of a capsule or cylinder from its two
// end points, overriding pos, quat, axisangle and the second size value as
// MuJoCo 2.2.2 mjCGeom::Compile does: the centre is the
// midpoint, and the geom's z axis points from the "to" end to the "from"
// end (the quaternion rotates z onto from − to).
func (c *compiler) fromto(l *Node, g *Geom) error {
	if g.Type != GeomCapsule && g.Type != GeomCylinder {
		return c.errf(l, "fromto", l.Attr["fromto"], "only capsules and cylinders are supported")
	}
	var ft [6]float64
	if err := c.floats(l, "fromto", ft[:], true); err != nil {
		return err
	}
	dir := Vec3{ft[0] - ft[3], ft[1] - ft[4], ft[2] - ft[5]}
	for i := range 3 {
		g.Pos[i] = 0.5 * (ft[i] + ft[i+3])
	}
	half := 0.5 * math.Sqrt(dir[0]*dir[0]+dir[1]*dir[1]+dir[2]*dir[2])
	if half < mjMinVal {
		return c.errf(l, "fromto", l.Attr["fromto"], "end points coincide")
	}
	g.Size[1] = half
	g.Quat = z2quat(dir)
	return nil
}

// z2quat returns the quaternion of the shortest rotation taking the z axis
// onto the direction of v, as MuJoCo 2.2.2's mjuu_z2quat: when v is parallel
// or antiparallel to z the rotation axis is x (so antiparallel gives
// (cos π/2, 1, 0, 0) with cos π/2 ≈ 6.1e-17, not an exact 0).
func z2quat(v Vec3) Quat {
	normalize(&v)
	axis := Vec3{-v[1], v[0], 0} // z × v
	s := normalize(&axis)
	if s < 1e-10 { // MuJoCo's mjEPS (user_util.cc)
		axis = Vec3{1, 0, 0}
	}
	ang := math.Atan2(s, v[2])
	sn := math.Sin(ang / 2)
	return Quat{math.Cos(ang / 2), axis[0] * sn, axis[1] * sn, axis[2] * sn}
}

// checkSize rejects sizes MuJoCo would reject and zeroes unused entries.
func (c *compiler) checkSize(n *Node, g *Geom) error {
	need := map[GeomType]int{GeomSphere: 1, GeomCapsule: 2, GeomCylinder: 2, GeomBox: 3}
	k, ok := need[g.Type]
	if !ok { // plane: sizes are only for drawing; MuJoCo keeps all three
		return nil
	}
	for i := range 3 {
		if i >= k {
			g.Size[i] = 0
		} else if g.Size[i] <= 0 {
			return c.errf(n, "size", n.Attr["size"], "%s needs %d positive size values",
				g.Type, k)
		}
	}
	return nil
}

func (c *compiler) site(n *Node, bi int, childclass *defClass) error {
	ls, err := c.layers(n, childclass)
	if err != nil {
		return err
	}
	s := Site{Name: n.Attr["name"], Body: bi, Quat: Quat{1, 0, 0, 0}}
	if err := c.lfloats(ls, "pos", s.Pos[:], true); err != nil {
		return err
	}
	if err := c.orientation(ls, &s.Quat); err != nil {
		return err
	}
	c.m.Sites = append(c.m.Sites, s)
	return nil
}

func (c *compiler) motor(n *Node, childclass *defClass) error {
	ls, err := c.layers(n, childclass)
	if err != nil {
		return err
	}
	// Defaults: MuJoCo 2.2.2 mjCActuator constructor (user_objects.cc).
	a := Actuator{Name: n.Attr["name"], Gear: [6]float64{1}}
	jn, ok := n.attrString("joint")
	if !ok {
		return c.errf(n, "", "", "motor needs a joint attribute")
	}
	ji, ok := c.joints[jn]
	if !ok {
		return c.errf(n, "joint", jn, "no joint of that name")
	}
	a.Joint = ji
	if err := c.lfloats(ls, "gear", a.Gear[:], false); err != nil {
		return err
	}
	for _, f := range []struct {
		key   string
		dst   []float64
		lim   *bool
		limit string
	}{
		{"ctrlrange", a.CtrlRange[:], &a.CtrlLimited, "ctrllimited"},
		{"forcerange", a.ForceRange[:], &a.ForceLimited, "forcelimited"},
	} {
		if err := c.lfloats(ls, f.key, f.dst, true); err != nil {
			return err
		}
		if err := c.lbool(ls, f.limit, f.lim); err != nil {
			return err
		}
		if *f.lim && f.dst[0] >= f.dst[1] {
			l := ls.last(f.key)
			if l == nil {
				l = n
			}
			return c.errf(l, f.key, l.Attr[f.key], "%s needs lo < hi", f.limit)
		}
	}
	c.m.Actuators = append(c.m.Actuators, a)
	return nil
}
