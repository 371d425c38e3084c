// Package physics is the first layer of a pure-Go planar physics engine: it
// reads the subset of MuJoCo's MJCF format that Gymnasium's seven v4 MuJoCo
// tasks use and compiles it into a Model (bodies, joints, geoms, sites,
// actuators, options) with the masses and inertias MuJoCo 2.2.2 derives
// from the geoms, and simulates such a model (Data, Step): rigid-body
// dynamics in generalised coordinates, springs, dampers, armature, motors,
// soft joint limits, soft contacts with pyramidal friction cones (plane,
// sphere and capsule geoms, and sphere against box for D4RL's point
// mazes), Swimmer's fluid forces, and MuJoCo's Euler
// and RK4 integrators.
//
//	m, err := physics.Load("reacher") // embedded envs/mujoco/models/reacher.xml
//	d := physics.NewData(m)
//	copy(d.Ctrl, action)
//	err = physics.Step(d, 2)
//
// The files are: mjcf.go (XML to a checked Node tree), model.go (the Model
// types), compile.go (the compiler), inertia.go (geom masses, body inertial frames),
// massmatrix.go (reference kinematics and joint-space inertia at qpos0),
// load.go (Parse, Load), kinematics.go (frames, DOF motion vectors,
// velocities), dynamics.go (Data, mass matrix, bias, passive and actuator
// forces, forward dynamics), limits.go (joint-limit constraint rows and
// their solve), collision.go (contact detection), contact.go (contact
// rows and the Newton constraint solve) and integrate.go (Step). README.md
// lists the agreement with MuJoCo and the speed.
//
// # Supported MJCF subset
//
// Elements: mujoco, compiler (angle, coordinate="local", inertiafromgeom
// true/auto, settotalmass), option (timestep, gravity, integrator Euler/RK4,
// density, viscosity, iterations: recorded only), size (ignored), default
// (nested classes with joint, geom, site, motor and an empty tendon),
// worldbody, body (pos, quat, axisangle, childclass), joint (hinge,
// slide), geom (plane, sphere, capsule, cylinder, box; fromto for
// capsules and cylinders), site, actuator
// with motor on a joint. Ignored as visual-only: asset, visual, light,
// camera, custom, and the rgba, material and group attributes. Everything
// else is an error naming file, line, element and attribute; notably
// <inertial>, euler/xyaxes/zaxis orientations, meshes, tendons, equality
// constraints, contact pairs/excludes, sensors, keyframes and actuators
// other than motor.
//
// # MuJoCo conventions the dynamics must follow
//
//   - Joint positions are displacements from Qpos0 (each joint's ref): a
//     slide moves its body by axis·(qpos − ref), a hinge rotates it by
//     (qpos − ref) about the joint axis through the joint anchor. Hopper and
//     Walker2d rootz have ref 1.25 with the torso already at z = 1.25, so
//     qpos[1] is the torso height; Reacher's target slides have ref ±0.1.
//   - Joint Pos (anchor) and Axis are in the frame of the body the joint
//     moves, and the anchor is often not the body origin (Hopper rootx/rootz
//     at z = −1.25, leg_joint at +0.25, foot_joint at (−0.13, 0, 0.1)).
//     Hopper and Walker2d leg axes are (0, −1, 0), the root hinge (0, 1, 0).
//   - Several joints on one body compose in file order; bodies are in
//     depth-first pre-order, joints and DOFs follow body order, and for
//     hinge/slide joints QposAdr == DofAdr == the joint's index.
//   - Angles in the file are degrees unless compiler angle="radian"
//     (MuJoCo's default is degree: inverted_pendulum.xml's hinge range
//     "-90 90" is ±π/2). Hinge range, ref and springref, and axisangle angles,
//     are converted; slide values are not.
//   - A geom given by fromto is centred at the midpoint, its half-length
//     replaces size[1] (inverted_pendulum's pole: 0.30000041666637728, not
//     the 0.3 written), and its z axis points from "to" towards "from".
//   - A body with one geom takes the geom's frame as its inertial frame
//     (IPos = geom pos, IQuat = geom quat, Inertia unsorted: capsule
//     (I⊥, I⊥, I_axial)). Bodies with several geoms get a diagonalised
//     frame with moments in decreasing order. Swimmer's fluid model uses
//     exactly these axes (its capsules lie along x: IQuat ≈ (0.7071, 0,
//     0.7071, 0)), and its quadratic drag is not invariant to rotations
//     within the repeated-moment plane, so do not re-diagonalise.
//   - MuJoCo's own eigensolver stops early (principal axes good to ~1e-6
//     rad) for bodies whose geoms share no common principal axis; none of
//     the seven models has one (see testdata/classes.xml).
//   - half_cheetah.xml has settotalmass="14": every body mass and inertia is
//     scaled so the total is 14 kg (torso 6.2502 kg).
//   - World-body geoms (floors, rails, Reacher's arena) have no mass. Plane
//     sizes are for drawing only.
//   - Short vector attributes keep the trailing values of the default class
//     or built-in default: friction "0.9" is (0.9, 0.005, 0.0001); HalfCheetah
//     solimp "0.0 0.8 0.01" is (0, 0.8, 0.01, 0.5, 2). Values are stored
//     as written: MuJoCo clamps solimp (dmin 0 → 1e-4) and applies the
//     solref time-constant floor (≥ 2·timestep) only when it builds
//     constraints at run time (engine_core_constraint.c), so the dynamics
//     must do the same.
//   - Contact parameters (condim max, friction max, solref/solimp mix,
//     margin max) are combined per geom pair at collision time, not here.
//   - MassMatrix0's diagonal (armature included) is MuJoCo's dof_M0.
package physics
