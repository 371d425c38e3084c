package maze2d

import (
	"fmt"
	"strings"
)

// Maze layouts of D4RL (d4rl/pointmaze/maze_model.py): rows separated by a
// backslash, '#' a wall, 'O' an empty cell, 'G' the goal (also empty).
// Row index i is the first coordinate (x) and column index j the second
// (y); cell (i, j) is centred at world (i+1, j+1).
const (
	// UMaze is D4RL's U_MAZE (5×5), goal (1, 1).
	UMaze = "#####\\" +
		"#GOO#\\" +
		"###O#\\" +
		"#OOO#\\" +
		"#####"
	// MediumMaze is D4RL's MEDIUM_MAZE (8×8), goal (6, 6).
	MediumMaze = "########\\" +
		"#OO##OO#\\" +
		"#OO#OOO#\\" +
		"##OOO###\\" +
		"#OO#OOO#\\" +
		"#O#OO#O#\\" +
		"#OOO#OG#\\" +
		"########"
	// LargeMaze is D4RL's LARGE_MAZE (9×12), goal (7, 9).
	LargeMaze = "############\\" +
		"#OOOO#OOOOO#\\" +
		"#O##O#O#O#O#\\" +
		"#OOOOOO#OOO#\\" +
		"#O####O###O#\\" +
		"#OO#O#OOOOO#\\" +
		"##O#O#O#O###\\" +
		"#OO#OOO#OGO#\\" +
		"############"
	// Open is D4RL's OPEN (5×7), goal (2, 3).
	Open = "#######\\" +
		"#OOOOO#\\" +
		"#OOGOO#\\" +
		"#OOOOO#\\" +
		"#######"
)

// Cell is a grid cell (row i, column j); in qpos units its reset and goal
// location is (i, j).
type Cell struct{ I, J int }

// Layout is a parsed maze.
type Layout struct {
	Rows, Cols int
	wall       []bool // Rows×Cols, row-major
	// Empty lists the 'O' cells in row-major (sorted) order, as D4RL's
	// reset_locations.
	Empty []Cell
	// Goals lists the 'G' cells in row-major order (at most one).
	Goals []Cell
}

// ParseLayout reads a D4RL maze string. Rows of different lengths, an
// unknown character, more than one goal or no free cell are errors.
func ParseLayout(s string) (*Layout, error) {
	s = strings.TrimSuffix(s, "\\")
	rows := strings.Split(s, "\\")
	l := &Layout{Rows: len(rows), Cols: len(rows[0])}
	if l.Cols == 0 {
		return nil, fmt.Errorf("maze2d: layout %q has an empty row", s)
	}
	l.wall = make([]bool, l.Rows*l.Cols)
	for i, row := range rows {
		if len(row) != l.Cols {
			return nil, fmt.Errorf("maze2d: layout row %d has %d cells, want %d",
				i, len(row), l.Cols)
		}
		for j := range len(row) {
			switch row[j] {
			case '#':
				l.wall[i*l.Cols+j] = true
			case 'O':
				l.Empty = append(l.Empty, Cell{i, j})
			case 'G':
				l.Goals = append(l.Goals, Cell{i, j})
			default:
				return nil, fmt.Errorf("maze2d: layout row %d column %d: unknown cell %q",
					i, j, row[j])
			}
		}
	}
	if len(l.Goals) > 1 {
		return nil, fmt.Errorf("maze2d: layout has %d goals, want at most 1", len(l.Goals))
	}
	if len(l.Empty)+len(l.Goals) == 0 {
		return nil, fmt.Errorf("maze2d: layout has no free cell")
	}
	return l, nil
}

// Wall reports whether cell (i, j) is a wall; cells outside the grid count
// as walls.
func (l *Layout) Wall(i, j int) bool {
	if i < 0 || j < 0 || i >= l.Rows || j >= l.Cols {
		return true
	}
	return l.wall[i*l.Cols+j]
}

// Goal returns the default target: the 'G' cell, or the first empty cell
// if there is none (D4RL MazeEnv.__init__).
func (l *Layout) Goal() Cell {
	if len(l.Goals) == 1 {
		return l.Goals[0]
	}
	return l.Empty[0]
}

// resetCells returns the empty cells followed by the goal cells, the list
// D4RL's reset_model draws from (empty_and_goal_locations).
func (l *Layout) resetCells() []Cell {
	return append(append([]Cell(nil), l.Empty...), l.Goals...)
}

// MJCF returns the point-mass model of D4RL's point_maze
// (d4rl/pointmaze/maze_model.py) for this layout: Euler at 0.01 s, no
// gravity, joint damping 1, frictionless (condim 1) contacts with margin
// 0.002, a ground plane at z = −0.1, the particle (sphere of radius 0.1)
// at (1.2, 1.2, 0) on slide joints ball_x and ball_y, a box of half-sizes
// (0.5, 0.5, 0.2) at (i+1, j+1, 0) for every wall cell (i, j), and two
// motors of gear 100 with controls limited to [−1, 1]. Purely visual
// elements (assets, materials, the target site's material) are left out.
func (l *Layout) MJCF() string {
	var b strings.Builder
	b.WriteString(`<mujoco model="point_maze">
  <compiler inertiafromgeom="true" angle="radian" coordinate="local"/>
  <option timestep="0.01" gravity="0 0 0" iterations="20" integrator="Euler"/>
  <default>
    <joint damping="1" limited="false"/>
    <geom friction=".5 .1 .1" density="1000" margin="0.002" condim="1" contype="2" conaffinity="1"/>
  </default>
  <worldbody>
    <geom name="ground" size="40 40 0.25" pos="0 0 -0.1" type="plane" contype="1" conaffinity="0"/>
    <body name="particle" pos="1.2 1.2 0">
      <geom name="particle_geom" type="sphere" size="0.1" rgba="0 0 1 0" contype="1"/>
      <site name="particle_site" pos="0 0 0" size="0.2" rgba="0.3 0.6 0.3 1"/>
      <joint name="ball_x" type="slide" pos="0 0 0" axis="1 0 0"/>
      <joint name="ball_y" type="slide" pos="0 0 0" axis="0 1 0"/>
    </body>
    <site name="target_site" pos="0 0 0" size="0.2"/>
`)
	for i := range l.Rows {
		for j := range l.Cols {
			if l.wall[i*l.Cols+j] {
				fmt.Fprintf(&b, `    <geom conaffinity="1" type="box" name="wall_%d_%d" `+
					`pos="%d %d 0" size="0.5 0.5 0.2"/>`+"\n", i, j, i+1, j+1)
			}
		}
	}
	b.WriteString(`  </worldbody>
  <actuator>
    <motor joint="ball_x" ctrlrange="-1 1" ctrllimited="true" gear="100"/>
    <motor joint="ball_y" ctrlrange="-1 1" ctrllimited="true" gear="100"/>
  </actuator>
</mujoco>
`)
	return b.String()
}
