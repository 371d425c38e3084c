package physics

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestParseErrors checks that bad or unsupported input fails with an error
// naming the file, the line and the element (and attribute where there is
// one).
func TestParseErrors(t *testing.T) {
	const head = "<mujoco model=\"t\">\n<worldbody>\n<body name=\"b\">\n"
	const tail = "</body>\n</worldbody>\n</mujoco>\n"
	cases := []struct {
		name string
		xml  string
		want []string // substrings of the error message
	}{
		{"malformed", head + "<geom size=\"0.1\">\n" + tail,
			[]string{"t.xml:5:", "malformed XML inside <geom>", "<geom> closed by </body>"}},
		{"unclosed attribute", "<mujoco>\n<option timestep=\"0.1/>\n</mujoco>\n",
			[]string{"t.xml:3:", "malformed XML inside <mujoco>"}},
		{"unknown element", head + "<geom size=\"0.1\"/>\n<inertial mass=\"1\"/>\n" + tail,
			[]string{"t.xml:5:", "<inertial>", "unsupported element inside <body>"}},
		{"unknown top element", "<mujoco>\n<tendon/>\n</mujoco>\n",
			[]string{"t.xml:2:", "<tendon>", "unsupported element"}},
		{"unknown attribute", head + "<geom size=\"0.1\"\n  mass=\"2\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "mass=\"2\"", "unsupported attribute"}},
		{"not mujoco", "<robot/>\n", []string{"t.xml:1:", "<robot>"}},
		{"bad number", head + "<geom size=\"0.1 x\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "size=\"0.1 x\"", "not a finite number"}},
		{"short pos", head + "<geom size=\"0.1\" pos=\"1 2\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "pos=\"1 2\"", "want 3 numbers"}},
		{"bad geom type", head + "<geom type=\"mesh\" size=\"0.1\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "type=\"mesh\"", "unsupported geom type"}},
		{"ball joint", head + "<joint type=\"ball\"/><geom size=\"0.1\"/>\n" + tail,
			[]string{"t.xml:4:", "<joint>", "type=\"ball\""}},
		{"unknown class", head + "<geom class=\"nope\" size=\"0.1\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "class=\"nope\"", "unknown default class"}},
		{"bad range", head + "<joint limited=\"true\" range=\"1 0\"/><geom size=\"0.1\"/>\n" +
			tail, []string{"t.xml:4:", "<joint>", "range=\"1 0\""}},
		{"bad bool", head + "<joint limited=\"yes\"/><geom size=\"0.1\"/>\n" + tail,
			[]string{"t.xml:4:", "<joint>", "limited=\"yes\""}},
		{"bad default value", "<mujoco>\n<default>\n<geom condim=\"2\"/>\n</default>\n" +
			"<worldbody><geom size=\"1\"/></worldbody>\n</mujoco>\n",
			[]string{"t.xml:3:", "<geom>", "condim=\"2\""}},
		{"motor without joint", "<mujoco>\n<actuator>\n<motor joint=\"j\"/>\n</actuator>\n" +
			"</mujoco>\n", []string{"t.xml:3:", "<motor>", "joint=\"j\"", "no joint"}},
		{"global coordinates", "<mujoco>\n<compiler coordinate=\"global\"/>\n</mujoco>\n",
			[]string{"t.xml:2:", "<compiler>", "coordinate=\"global\""}},
		{"plane in body", head + "<geom type=\"plane\" size=\"1 1 1\"/>\n" + tail,
			[]string{"t.xml:4:", "<geom>", "plane"}},
		{"camera in actuator", "<mujoco>\n<actuator>\n<camera/>\n</actuator>\n</mujoco>\n",
			[]string{"t.xml:3:", "<camera>", "unsupported element inside <actuator>"}},
		{"text content", head + "hello\n" + tail, []string{"t.xml:", "unexpected text"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.xml), "t.xml")
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is %T, want *ParseError", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestIgnoredElements checks that visual-only elements and attributes are
// accepted and leave the model unchanged.
func TestIgnoredElements(t *testing.T) {
	plain := "<mujoco><worldbody><body><joint/><geom size=\"0.1\"/></body>" +
		"</worldbody></mujoco>"
	fancy := "<mujoco><asset><texture name=\"x\" weird=\"1\"/></asset>" +
		"<visual><map znear=\"0.1\"/></visual><custom><numeric data=\"2\" name=\"n\"/></custom>" +
		"<worldbody><light pos=\"0 0 1\"/><body><camera name=\"c\" mode=\"trackcom\"/>" +
		"<joint/><geom size=\"0.1\" rgba=\"1 0 0 1\" material=\"m\" group=\"2\"/></body>" +
		"</worldbody></mujoco>"
	a, err := Parse(strings.NewReader(plain), "plain.xml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(strings.NewReader(fancy), "fancy.xml")
	if err != nil {
		t.Fatal(err)
	}
	if a.Bodies[1] != b.Bodies[1] || a.Geoms[0] != b.Geoms[0] || a.Joints[0] != b.Joints[0] {
		t.Errorf("visual elements changed the model:\n%+v\n%+v", a.Bodies[1], b.Bodies[1])
	}
}

// TestLoadUnknown checks that Load names a model it does not have.
func TestLoadUnknown(t *testing.T) {
	_, err := Load("ant")
	if err == nil || !strings.Contains(err.Error(), "ant") {
		t.Errorf("Load(ant): got %v, want an error naming ant", err)
	}
}

// TestTopology checks the invariants that later dynamics code relies on:
// parents precede children, joints are grouped by body in body order, and
// every joint owns exactly its one DOF, and the mass matrix at qpos0 is
// symmetric with a positive diagonal.
func TestTopology(t *testing.T) {
	for _, name := range modelNames {
		m, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for bi := 1; bi < len(m.Bodies); bi++ {
			if p := m.Bodies[bi].Parent; p >= bi {
				t.Errorf("%s: body %d has parent %d", name, bi, p)
			}
		}
		for ji, j := range m.Joints {
			b := m.Bodies[j.Body]
			if ji < b.JntAdr || ji >= b.JntAdr+b.JntNum || j.DofAdr != ji ||
				m.DofJoint[j.DofAdr] != ji || m.DofBody[j.DofAdr] != j.Body {
				t.Errorf("%s: joint %d (%s) inconsistent with body %d", name, ji, j.Name, j.Body)
			}
			if ji > 0 && m.Joints[ji-1].Body > j.Body {
				t.Errorf("%s: joints not in body order at %d", name, ji)
			}
		}
		M := m.MassMatrix0()
		for i := range M {
			if M[i][i] <= 0 {
				t.Errorf("%s: M0[%d][%d] = %g, want > 0", name, i, i, M[i][i])
			}
			for k := range i {
				if math.Abs(M[i][k]-M[k][i]) > 1e-12*(M[i][i]+M[k][k]) {
					t.Errorf("%s: M0 not symmetric at (%d, %d)", name, i, k)
				}
			}
		}
	}
}
