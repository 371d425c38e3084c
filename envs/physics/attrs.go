package physics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file resolves MJCF attributes for the compiler (compile.go):
// default classes and their inheritance, the layers that set an
// element's attributes, typed attribute readers, orientations and angle
// units.

// defClass is one default class: its own element attributes by element
// kind ("joint", "geom", "site", "motor") and its parent class.
type defClass struct {
	name   string
	parent *defClass
	attrs  map[string]*Node // kind → the default element
}

// defaults reads a <default> element (and nested ones) into classes.
func (c *compiler) defaults(n *Node, parent *defClass) error {
	name, hasName := n.attrString("class")
	var cl *defClass
	if parent == nil {
		if hasName && name != "main" {
			return c.errf(n, "class", name, "the top-level default class must be main")
		}
		if c.sawMain {
			return c.errf(n, "", "", "more than one top-level <default>")
		}
		c.sawMain = true
		cl = c.classes["main"]
	} else {
		if !hasName || name == "" {
			return c.errf(n, "", "", "nested <default> needs a class attribute")
		}
		if _, dup := c.classes[name]; dup {
			return c.errf(n, "class", name, "default class defined twice")
		}
		cl = &defClass{name: name, parent: parent, attrs: map[string]*Node{}}
		c.classes[name] = cl
	}
	for _, ch := range n.Children {
		if ch.Tag == "default" {
			if err := c.defaults(ch, cl); err != nil {
				return err
			}
			continue
		}
		if _, dup := cl.attrs[ch.Tag]; dup {
			return c.errf(ch, "", "", "repeated in default class %s", cl.name)
		}
		cl.attrs[ch.Tag] = ch
	}
	return nil
}

// layers is the stack of elements that set an element's attributes: the
// default class chain from main down to its class, then the element itself.
// Later layers overwrite earlier ones value by value, so a short vector keeps
// the trailing values of earlier layers, as MuJoCo does.
type layers []*Node

// layers resolves the layers of element n: its class attribute names the
// class, else the enclosing childclass (main at the top) applies.
func (c *compiler) layers(n *Node, childclass *defClass) (layers, error) {
	cl := childclass
	if name, ok := n.attrString("class"); ok {
		cl = c.classes[name]
		if cl == nil {
			return nil, c.errf(n, "class", name, "unknown default class")
		}
	}
	var chain []*defClass
	for ; cl != nil; cl = cl.parent {
		chain = append(chain, cl)
	}
	var ls layers
	for i := len(chain) - 1; i >= 0; i-- {
		if d := chain[i].attrs[n.Tag]; d != nil {
			ls = append(ls, d)
		}
	}
	return append(ls, n), nil
}

// last returns the last layer that sets key, or nil.
func (ls layers) last(key string) *Node {
	for i := len(ls) - 1; i >= 0; i-- {
		if _, ok := ls[i].Attr[key]; ok {
			return ls[i]
		}
	}
	return nil
}

// floats fills dst from attribute key of n. With exact, the attribute must
// hold len(dst) numbers; otherwise 1..len(dst), overwriting a prefix.
func (c *compiler) floats(n *Node, key string, dst []float64, exact bool) error {
	raw := n.Attr[key]
	f := strings.Fields(raw)
	if len(f) == 0 || len(f) > len(dst) || (exact && len(f) != len(dst)) {
		want := fmt.Sprintf("1 to %d", len(dst))
		if exact {
			want = strconv.Itoa(len(dst))
		}
		return c.errf(n, key, raw, "want %s numbers, got %d", want, len(f))
	}
	for i, s := range f {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return c.errf(n, key, raw, "%q is not a finite number", s)
		}
		dst[i] = v
	}
	return nil
}

// lfloats applies every layer that sets key, in order.
func (c *compiler) lfloats(ls layers, key string, dst []float64, exact bool) error {
	for _, l := range ls {
		if _, ok := l.Attr[key]; ok {
			if err := c.floats(l, key, dst, exact); err != nil {
				return err
			}
		}
	}
	return nil
}

// lfloat is lfloats for a scalar.
func (c *compiler) lfloat(ls layers, key string, dst *float64) error {
	v := [1]float64{*dst}
	err := c.lfloats(ls, key, v[:], true)
	*dst = v[0]
	return err
}

// lint reads an integer attribute through the layers.
func (c *compiler) lint(ls layers, key string, dst *int) error {
	l := ls.last(key)
	if l == nil {
		return nil
	}
	v, err := strconv.Atoi(strings.TrimSpace(l.Attr[key]))
	if err != nil {
		return c.errf(l, key, l.Attr[key], "not an integer")
	}
	*dst = v
	return nil
}

// lbool reads a true/false attribute through the layers.
func (c *compiler) lbool(ls layers, key string, dst *bool) error {
	l := ls.last(key)
	if l == nil {
		return nil
	}
	switch v := strings.TrimSpace(l.Attr[key]); v {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return c.errf(l, key, v, "want true or false")
	}
	return nil
}

// orientation reads quat or axisangle of n (at most one) into q, normalised.
// Angles follow the compiler's unit.
func (c *compiler) orientation(ls layers, q *Quat) error {
	lq, la := ls.last("quat"), ls.last("axisangle")
	if lq != nil && la != nil {
		return c.errf(la, "axisangle", la.Attr["axisangle"], "conflicts with quat")
	}
	switch {
	case lq != nil:
		if err := c.floats(lq, "quat", q[:], true); err != nil {
			return err
		}
		nq := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
		if nq < mjMinVal {
			return c.errf(lq, "quat", lq.Attr["quat"], "zero quaternion")
		}
		for i := range q {
			q[i] /= nq
		}
	case la != nil:
		var aa [4]float64
		if err := c.floats(la, "axisangle", aa[:], true); err != nil {
			return err
		}
		axis := Vec3{aa[0], aa[1], aa[2]}
		if normalize(&axis) < mjMinVal {
			return c.errf(la, "axisangle", la.Attr["axisangle"], "zero axis")
		}
		ang := c.angle(aa[3])
		s := math.Sin(ang / 2)
		*q = Quat{math.Cos(ang / 2), axis[0] * s, axis[1] * s, axis[2] * s}
	}
	return nil
}

// mjMinVal is MuJoCo's smallest meaningful norm (mjMINVAL = 1e-15,
// MuJoCo 2.2.2 mjmodel.h).
const mjMinVal = 1e-15

// angle converts an angle from the file's unit to radians.
func (c *compiler) angle(v float64) float64 {
	if c.degree {
		// MuJoCo 2.2.2 user_model.cc converts with value*mjPI/180.
		return v * math.Pi / 180
	}
	return v
}

// normalize scales v to unit length and returns its former length (v is
// left unchanged when the length is below mjMinVal).
func normalize(v *Vec3) float64 {
	n := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	if n >= mjMinVal {
		v[0] /= n
		v[1] /= n
		v[2] /= n
	}
	return n
}
