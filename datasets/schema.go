package datasets

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// Column names of the layout (specs/datasets.md §5.2), in file order.
const (
	colEpisodeID = "episode_id"
	colStep      = "step"
	colObs       = "observations"
	colActions   = "actions"
	colRewards   = "rewards"
	colNextObs   = "next_observations"
	colTerminals = "terminals"
	colTimeouts  = "timeouts"

	// Optional: the simulator state before the step (qpos ++ qvel is
	// what envs.StateSetter.State returns), FixedSizeList<float64>.
	colQpos = "qpos"
	colQvel = "qvel"
)

// columnSpec says where a top-level field's values live and how its
// definition levels read. For a list column:
//
//	def <  emptyDef        the list itself is null
//	def == emptyDef        the list is present but empty
//	emptyDef < def < maxDef an element is null
//	def == maxDef          a value is present
//
// A scalar column has emptyDef = maxDef - 1 when optional (def < maxDef
// means null) and maxDef = 0 when required.
type columnSpec struct {
	name     string
	leaf     *parquet.Column
	kind     parquet.Kind
	list     bool
	maxDef   int
	emptyDef int
}

// resolveColumn finds the top-level field name in root and works out how
// it is stored. wantList says whether the layout expects a list; kinds are
// the physical types accepted for its values. Shapes that are neither a
// plain value nor one of the list encodings below are an error wrapping
// [ErrSchema] ("unsupported list encoding for column X"):
//
//   - 3-level LIST: group F { repeated group <any name> { element } }, the
//     standard form (pyarrow, parquet-go); the element may have any name;
//   - legacy 2-level: group F { repeated <float> <any name> } (older
//     parquet-mr and Hive writers, e.g. "array" or "bag" names);
//   - legacy 1-level: repeated <float> F.
//
// A repeated group named "array" or "F_tuple" with one field is, by the
// Parquet compatibility rules, a list of one-field structs; that is not a
// list of floats and is rejected.
func resolveColumn(
	root *parquet.Column, name string, wantList bool, kinds ...parquet.Kind,
) (columnSpec, error) {
	f := root.Column(name)
	if f == nil {
		return columnSpec{}, errorf(ErrSchema, "column %q is missing", name)
	}
	spec := columnSpec{name: name}
	switch {
	case f.Leaf() && !f.Repeated():
		spec.leaf = f
	case f.Leaf(): // legacy 1-level list
		spec.leaf, spec.list = f, true
	default:
		leaf, err := listLeaf(f)
		if err != nil {
			return columnSpec{}, err
		}
		spec.leaf, spec.list = leaf, true
	}

	if spec.list != wantList {
		shape := map[bool]string{true: "a list", false: "a single value"}
		return columnSpec{}, errorf(ErrSchema, "column %q holds %s per row, want %s",
			name, shape[spec.list], shape[wantList])
	}
	spec.kind = spec.leaf.Type().Kind()
	if !containsKind(kinds, spec.kind) {
		return columnSpec{}, errorf(ErrSchema, "column %q has physical type %v, want %v",
			name, spec.kind, kinds)
	}
	spec.maxDef = spec.leaf.MaxDefinitionLevel()
	spec.emptyDef = spec.maxDef - 1
	if spec.list {
		if spec.leaf.MaxRepetitionLevel() != 1 {
			return columnSpec{}, errorf(ErrSchema, "unsupported list encoding for column %q: "+
				"repetition level %d, want 1", name, spec.leaf.MaxRepetitionLevel())
		}
		spec.emptyDef = emptyListLevel(f)
	} else if spec.leaf.MaxRepetitionLevel() != 0 {
		return columnSpec{}, errorf(ErrSchema, "column %q is nested in a repeated field", name)
	}
	return spec, nil
}

// listLeaf returns the value column of a list stored as a group, or an
// "unsupported list encoding" error.
func listLeaf(f *parquet.Column) (*parquet.Column, error) {
	unsupported := func(why string) (*parquet.Column, error) {
		return nil, errorf(ErrSchema, "unsupported list encoding for column %q: %s", f.Name(), why)
	}
	kids := f.Columns()
	if len(kids) != 1 || !kids[0].Repeated() {
		return unsupported("want a group with exactly one repeated field")
	}
	c := kids[0]
	if c.Leaf() { // legacy 2-level list
		return c, nil
	}
	if c.Name() == "array" || c.Name() == f.Name()+"_tuple" {
		return unsupported(fmt.Sprintf("repeated group %q is a list of structs", c.Name()))
	}
	elems := c.Columns()
	if len(elems) != 1 || !elems[0].Leaf() || elems[0].Repeated() {
		return unsupported(fmt.Sprintf(
			"repeated group %q must hold exactly one non-repeated value", c.Name()))
	}
	return elems[0], nil
}

// emptyListLevel returns the definition level of a present but empty list
// whose top-level field is f: the level reached just before the repeated
// node.
func emptyListLevel(f *parquet.Column) int {
	level := 0
	for n := f; ; n = n.Columns()[0] {
		if n.Repeated() {
			return level
		}
		if n.Optional() {
			level++
		}
	}
}

// containsKind reports whether k is in kinds.
func containsKind(kinds []parquet.Kind, k parquet.Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
