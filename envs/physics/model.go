package physics

import "fmt"

// Vec3 is a 3-vector (x, y, z).
type Vec3 = [3]float64

// Quat is a unit quaternion (w, x, y, z), MuJoCo's order.
type Quat = [4]float64

// JointType is the kind of a joint. Only the 1-DOF kinds are supported.
type JointType int

// Joint types, numbered as MuJoCo's mjtJoint (MuJoCo 2.2.2 mjmodel.h).
const (
	JointSlide JointType = 2 // mjJNT_SLIDE: translation along the axis
	JointHinge JointType = 3 // mjJNT_HINGE: rotation about the axis
)

// String returns MuJoCo's XML name of the type.
func (t JointType) String() string {
	switch t {
	case JointSlide:
		return "slide"
	case JointHinge:
		return "hinge"
	}
	return fmt.Sprintf("JointType(%d)", int(t))
}

// GeomType is the shape of a geom.
type GeomType int

// Geom types, numbered as MuJoCo's mjtGeom (MuJoCo 2.2.2 mjmodel.h).
const (
	GeomPlane    GeomType = 0 // mjGEOM_PLANE
	GeomSphere   GeomType = 2 // mjGEOM_SPHERE
	GeomCapsule  GeomType = 3 // mjGEOM_CAPSULE
	GeomCylinder GeomType = 5 // mjGEOM_CYLINDER
	GeomBox      GeomType = 6 // mjGEOM_BOX
)

var geomTypeNames = map[string]GeomType{
	"plane": GeomPlane, "sphere": GeomSphere, "capsule": GeomCapsule,
	"cylinder": GeomCylinder, "box": GeomBox,
}

// String returns MuJoCo's XML name of the type.
func (t GeomType) String() string {
	for k, v := range geomTypeNames {
		if v == t {
			return k
		}
	}
	return fmt.Sprintf("GeomType(%d)", int(t))
}

// Integrator is the time-stepping scheme of option/integrator.
type Integrator int

// Integrators, numbered as MuJoCo's mjtIntegrator (MuJoCo 2.2.2 mjmodel.h).
const (
	Euler Integrator = 0 // semi-implicit Euler (implicit joint damping)
	RK4   Integrator = 1 // classic 4th-order Runge–Kutta
)

// String returns MuJoCo's XML name of the integrator.
func (i Integrator) String() string {
	if i == RK4 {
		return "RK4"
	}
	return "Euler"
}

// Option holds the simulation options (<option>). Fields that the supported
// subset cannot set keep MuJoCo 2.2.2's defaults (mjmodel.h, mj_defaultOption).
type Option struct {
	Timestep   float64
	Gravity    Vec3
	Wind       Vec3
	Density    float64 // medium density, for fluid forces
	Viscosity  float64 // medium viscosity, for fluid forces
	Impratio   float64 // friction-to-normal impedance ratio
	Tolerance  float64 // constraint solver tolerance
	Cone       int     // 0 pyramidal, 1 elliptic
	Solver     int     // 0 PGS, 1 CG, 2 Newton
	Iterations int     // constraint solver iterations
	Integrator Integrator
}

// Compiler holds the <compiler> settings that the model was compiled with.
type Compiler struct {
	Degree       bool    // angles in the file are degrees (MuJoCo's default)
	SetTotalMass float64 // total mass the body masses were scaled to; ≤ 0: off
}

// Body is one rigid body. Bodies are in MuJoCo's order: depth-first
// pre-order of the file, body 0 the world, so a parent always precedes its
// children.
type Body struct {
	Name    string
	Parent  int  // index of the parent body (0 for the world itself)
	Pos     Vec3 // frame position in the parent frame
	Quat    Quat // frame orientation in the parent frame
	Mass    float64
	IPos    Vec3 // centre of mass in the body frame
	IQuat   Quat // principal axes of inertia in the body frame
	Inertia Vec3 // principal moments about the centre of mass
	// SubtreeMass is the mass of this body and all its descendants.
	SubtreeMass float64
	JntAdr      int // index of the first joint, -1 if none
	JntNum      int // number of joints
	DofAdr      int // index of the first DOF, -1 if none
	DofNum      int // number of DOFs
}

// Joint is a 1-DOF joint (hinge or slide) that moves its body relative to
// the parent body. For these joint types the joint's qpos and qvel index
// are equal (QposAdr == DofAdr).
type Joint struct {
	Name    string
	Type    JointType
	Body    int  // body the joint moves
	QposAdr int  // index in qpos
	DofAdr  int  // index in qvel
	Pos     Vec3 // anchor in the body frame
	Axis    Vec3 // unit axis in the body frame
	Limited bool
	Range   [2]float64 // limits in qpos units (radians for hinges)
	Ref     float64    // qpos value at which the body sits at its Pos/Quat
	// SpringRef is the qpos value at which the joint spring is at rest.
	SpringRef    float64
	Stiffness    float64
	Damping      float64
	Armature     float64
	FrictionLoss float64
	Margin       float64    // limit margin
	SolRef       [2]float64 // limit solref (timeconst, dampratio)
	SolImp       [5]float64 // limit solimp (dmin, dmax, width, mid, power)
}

// Geom is a collision/inertia shape attached to a body.
type Geom struct {
	Name string
	Type GeomType
	Body int
	// Size follows MuJoCo: sphere (r), capsule and cylinder (r, half-length),
	// box (half-sizes), plane (half-x, half-y, grid spacing); unused zero.
	Size        Vec3
	Pos         Vec3 // centre in the body frame
	Quat        Quat // orientation in the body frame; the shape's axis is z
	Contype     int
	Conaffinity int
	Condim      int
	Friction    Vec3 // sliding, torsional, rolling
	Margin      float64
	Gap         float64
	SolRef      [2]float64
	SolImp      [5]float64
	Density     float64 // used for the mass
	Mass        float64 // density × volume (0 for world geoms and planes)
}

// Site is a named point attached to a body.
type Site struct {
	Name string
	Body int
	Pos  Vec3
	Quat Quat
}

// Actuator is a motor acting on one joint: force = gear[0] × clamp(ctrl).
type Actuator struct {
	Name         string
	Joint        int        // index of the joint it drives
	Gear         [6]float64 // only Gear[0] matters for a joint transmission
	CtrlLimited  bool
	CtrlRange    [2]float64
	ForceLimited bool
	ForceRange   [2]float64
}

// Model is a compiled MJCF model: a kinematic tree in generalised
// coordinates with joints, geoms, sites and actuators in MuJoCo's order.
type Model struct {
	Name       string
	File       string
	Option     Option
	Compiler   Compiler
	Nq, Nv, Nu int
	Bodies     []Body
	Joints     []Joint
	Geoms      []Geom
	Sites      []Site
	Actuators  []Actuator
	Qpos0      []float64 // joint Ref values: the configuration of the file
	QposSpring []float64 // joint SpringRef values
	DofBody    []int     // body of each DOF
	DofJoint   []int     // joint of each DOF
}
