package physics

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"

	"offrl/envs/mujoco/models"
)

// Parse reads an MJCF document and compiles it. filename is used in error
// messages only.
func Parse(r io.Reader, filename string) (*Model, error) {
	root, err := ParseTree(r, filename)
	if err != nil {
		return nil, err
	}
	return Compile(root, filename)
}

// Load compiles one of the embedded Gymnasium models by name: half_cheetah,
// hopper, walker2d, inverted_pendulum, inverted_double_pendulum, reacher or
// swimmer.
func Load(name string) (*Model, error) {
	file := name + ".xml"
	data, err := fs.ReadFile(models.FS, file)
	if err != nil {
		return nil, fmt.Errorf("physics: no embedded model %q: %w", name, err)
	}
	return Parse(bytes.NewReader(data), file)
}
