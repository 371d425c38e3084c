package physics

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Node is one element of a parsed MJCF document: a plain tree that keeps the
// attributes as written and the line each element starts on.
type Node struct {
	Tag      string            // element name, e.g. "geom"
	Attr     map[string]string // attributes as written (values untrimmed)
	Line     int               // 1-based line of the element's '<'
	Children []*Node           // child elements in document order
}

// elemSpec says which attributes and children an element of the supported
// MJCF subset may have.
type elemSpec struct {
	attrs    []string // attributes that may appear
	children []string // child elements that may appear
}

// Attributes that only affect rendering in MuJoCo; accepted and ignored
// wherever they appear on a supported element: rgba, material, group.
var visualAttrs = []string{"rgba", "material", "group"}

// ignoredElems are elements whose whole subtree only affects rendering,
// memory sizing or user data in MuJoCo, never the compiled dynamics. They
// are accepted and skipped without looking inside:
//
//   - asset (texture, material): appearance only;
//   - visual: rendering options (e.g. map znear);
//   - light, camera: rendering only;
//   - custom (numeric, text): user data that MuJoCo stores but never reads.
//
// The map gives the parents each may appear under.
var ignoredElems = map[string][]string{
	"asset": {"mujoco"}, "visual": {"mujoco"}, "custom": {"mujoco"},
	"light": {"worldbody", "body"}, "camera": {"worldbody", "body"},
}

// Attribute lists of the elements that may also appear inside <default>
// (there without name and class).
var (
	jointAttrs = []string{"type", "pos", "axis", "range", "limited", "ref",
		"springref", "stiffness", "damping", "armature", "margin", "solreflimit",
		"solimplimit", "frictionloss"}
	geomAttrs = []string{"type", "size", "pos", "quat", "axisangle", "fromto",
		"contype", "conaffinity", "condim", "friction", "margin", "gap",
		"solref", "solimp", "density"}
	// site type and size only matter for drawing and sensors.
	siteAttrs  = []string{"pos", "quat", "type", "size"}
	motorAttrs = []string{"joint", "gear", "ctrllimited", "ctrlrange",
		"forcelimited", "forcerange"}
)

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// schema is the supported MJCF subset: the elements and attributes that the
// seven Gymnasium models use (MuJoCo 2.2.2 XML reference). Anything else is
// rejected so that a model we would compile differently from MuJoCo fails
// loudly.
var schema = map[string]elemSpec{
	"mujoco": {attrs: []string{"model"}, children: []string{"compiler", "option",
		"size", "default", "worldbody", "actuator"}},
	"compiler": {attrs: []string{"angle", "coordinate", "inertiafromgeom",
		"settotalmass"}},
	"option": {attrs: []string{"timestep", "gravity", "integrator", "density",
		"viscosity", "iterations"}},
	// nstack and nuser_geom only size MuJoCo's memory and user arrays.
	"size": {attrs: []string{"nstack", "nuser_geom"}},
	"default": {attrs: []string{"class"},
		children: []string{"default", "joint", "geom", "site", "motor", "tendon"}},
	"worldbody": {children: []string{"body", "geom", "site"}},
	"body": {attrs: []string{"name", "pos", "quat", "axisangle", "childclass"},
		children: []string{"body", "joint", "geom", "site"}},
	"joint":    {attrs: join([]string{"name", "class"}, jointAttrs)},
	"geom":     {attrs: join([]string{"name", "class"}, geomAttrs, visualAttrs)},
	"site":     {attrs: join([]string{"name", "class"}, siteAttrs, visualAttrs)},
	"actuator": {children: []string{"motor"}},
	"motor":    {attrs: join([]string{"name", "class"}, motorAttrs)},
}

// defaultSchema lists the attributes allowed on elements inside <default>.
// An empty <tendon/> default is accepted: it sets nothing, and a model with
// actual tendons is rejected elsewhere.
var defaultSchema = map[string][]string{
	"joint":  jointAttrs,
	"geom":   join(geomAttrs, visualAttrs),
	"site":   join(siteAttrs, visualAttrs),
	"motor":  motorAttrs,
	"tendon": nil,
}

// ParseError reports a problem in an MJCF file at a given line.
type ParseError struct {
	File string // file name as given to Parse
	Line int    // 1-based line, 0 when unknown
	Elem string // element name, "" when not about one element
	Msg  string
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Elem == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: <%s>: %s", e.File, e.Line, e.Elem, e.Msg)
}

// ParseTree reads an MJCF document into a Node tree rooted at <mujoco> and
// checks it against the supported subset. Ignored (visual-only) subtrees are
// dropped from the tree.
func ParseTree(r io.Reader, filename string) (*Node, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", filename, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	// lineOf gives the line of the '<' that opened the token just read.
	lineOf := func() int {
		off := int(dec.InputOffset())
		if off > len(data) {
			off = len(data)
		}
		start := bytes.LastIndexByte(data[:off], '<')
		if start < 0 {
			start = off
		}
		return 1 + bytes.Count(data[:start], []byte{'\n'})
	}
	var root *Node
	var stack []*Node
	skip := 0 // depth inside an ignored subtree
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			where := ""
			if len(stack) > 0 {
				where = " inside <" + stack[len(stack)-1].Tag + ">" // innermost open element
			}
			return nil, &ParseError{File: filename, Line: line,
				Msg: "malformed XML" + where + ": " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line := lineOf()
			name := t.Name.Local
			if skip > 0 {
				skip++
				continue
			}
			if len(stack) == 0 {
				if root != nil || name != "mujoco" {
					return nil, &ParseError{File: filename, Line: line, Elem: name,
						Msg: "top-level element must be a single <mujoco>"}
				}
			} else if parents, ok := ignoredElems[name]; ok {
				if !contains(parents, stack[len(stack)-1].Tag) {
					return nil, &ParseError{File: filename, Line: line, Elem: name,
						Msg: fmt.Sprintf("unsupported element inside <%s>",
							stack[len(stack)-1].Tag)}
				}
				skip = 1
				continue
			}
			n := &Node{Tag: name, Attr: map[string]string{}, Line: line}
			for _, a := range t.Attr {
				if a.Name.Space != "" {
					return nil, &ParseError{File: filename, Line: line, Elem: name,
						Msg: fmt.Sprintf("namespaced attribute %s:%s not supported",
							a.Name.Space, a.Name.Local)}
				}
				n.Attr[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if err := checkNode(n, parent, filename); err != nil {
					return nil, err
				}
				parent.Children = append(parent.Children, n)
			} else {
				if err := checkAttrs(n, schema["mujoco"].attrs, filename); err != nil {
					return nil, err
				}
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if skip == 0 && len(stack) > 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, &ParseError{File: filename, Line: lineOf(),
					Elem: stack[len(stack)-1].Tag, Msg: "unexpected text content"}
			}
		}
	}
	if root == nil {
		return nil, &ParseError{File: filename, Line: 1, Msg: "no <mujoco> element"}
	}
	return root, nil
}

// checkNode validates n as a child of parent.
func checkNode(n, parent *Node, file string) error {
	if parent.Tag == "default" && n.Tag != "default" {
		attrs, ok := defaultSchema[n.Tag]
		if !ok {
			return &ParseError{File: file, Line: n.Line, Elem: n.Tag,
				Msg: "unsupported element inside <default>"}
		}
		return checkAttrs(n, attrs, file)
	}
	if !contains(schema[parent.Tag].children, n.Tag) {
		return &ParseError{File: file, Line: n.Line, Elem: n.Tag,
			Msg: fmt.Sprintf("unsupported element inside <%s>", parent.Tag)}
	}
	return checkAttrs(n, schema[n.Tag].attrs, file)
}

// checkAttrs rejects any attribute of n not in allowed.
func checkAttrs(n *Node, allowed []string, file string) error {
	keys := make([]string, 0, len(n.Attr))
	for k := range n.Attr {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same attribute every time
	for _, k := range keys {
		if !contains(allowed, k) {
			return &ParseError{File: file, Line: n.Line, Elem: n.Tag,
				Msg: fmt.Sprintf("unsupported attribute %s=%q", k, n.Attr[k])}
		}
	}
	return nil
}

// attrString returns the trimmed value of attribute k and whether it is set.
func (n *Node) attrString(k string) (string, bool) {
	v, ok := n.Attr[k]
	return strings.TrimSpace(v), ok
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
