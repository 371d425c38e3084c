package datasets

import (
	"os"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// This file writes Parquet files the way other tools lay them out (other
// list encodings, DOUBLE columns, nullable fields, dictionaries), with
// parquet-go's row API and hand-computed levels, so the reader is tested on
// files its own writer would never produce.

// listAnnotated gives a group node the LIST logical type, which the
// Parquet compatibility rules key on, while keeping its own field names.
type listAnnotated struct{ parquet.Node }

// Type returns the LIST-annotated group type.
func (listAnnotated) Type() parquet.Type {
	return parquet.List(parquet.Leaf(parquet.FloatType)).Type()
}

// foreignList describes how a list column is laid out: the node of the
// top-level field for a given element type, the path from the field to the
// value leaf, and the definition level of an empty list.
type foreignList struct {
	name     string
	node     func(elem parquet.Node) parquet.Node
	path     []string // below the field name
	emptyDef int
}

// Encodings of a list of floats used by common writers.
var foreignLists = []foreignList{
	{"3-level, optional, element named item (pyarrow nullable)",
		func(e parquet.Node) parquet.Node {
			item := parquet.Group{"item": parquet.Optional(e)}
			return parquet.Optional(listAnnotated{parquet.Group{"list": parquet.Repeated(item)}})
		}, []string{"list", "item"}, 1},
	{"3-level, required, element named element (spec form)",
		func(e parquet.Node) parquet.Node {
			elem := parquet.Group{"element": e}
			return listAnnotated{parquet.Group{"list": parquet.Repeated(elem)}}
		}, []string{"list", "element"}, 0},
	{"legacy 2-level, repeated float array",
		func(e parquet.Node) parquet.Node {
			return listAnnotated{parquet.Group{"array": parquet.Repeated(e)}}
		}, []string{"array"}, 0},
	{"legacy 3-level bag (Hive)",
		func(e parquet.Node) parquet.Node {
			elem := parquet.Group{"array_element": parquet.Optional(e)}
			return parquet.Optional(listAnnotated{parquet.Group{"bag": parquet.Repeated(elem)}})
		}, []string{"bag", "array_element"}, 1},
	{"legacy 1-level, repeated float field",
		func(e parquet.Node) parquet.Node { return parquet.Repeated(e) }, nil, 0},
}

// foreignSpec says how each column of a foreign file is stored.
type foreignSpec struct {
	list      foreignList
	float     parquet.Node // leaf of the float columns: FLOAT or DOUBLE, maybe dictionary-encoded
	integer   parquet.Node // leaf of episode_id and step: INT32 or INT64
	drop      string       // a column to leave out
	keyValues map[string]string
	options   []parquet.WriterOption
}

// defaultForeignSpec is the spec form with FLOAT and INT32 leaves.
func defaultForeignSpec() foreignSpec {
	return foreignSpec{
		list:    foreignLists[1],
		float:   parquet.Leaf(parquet.FloatType),
		integer: parquet.Leaf(parquet.Int32Type),
	}
}

// cellFunc gives the value of a column at a row: a scalar, a []float64
// list, or nil for null.
type cellFunc func(row int) any

// writeForeign writes d to path in the layout spec describes. cells may
// override the values of some columns.
func writeForeign(
	t testing.TB, path string, d *Dataset, spec foreignSpec, cells map[string]cellFunc,
) {
	t.Helper()
	floatList := func(values []float32, dim int) cellFunc {
		return func(i int) any {
			out := make([]float64, dim)
			for j := range out {
				out[j] = float64(values[i*dim+j])
			}
			return out
		}
	}
	all := map[string]cellFunc{
		colEpisodeID: func(i int) any { return float64(d.EpisodeIDs[i]) },
		colStep:      func(i int) any { return float64(d.Steps[i]) },
		colObs:       floatList(d.Observations, d.ObsDim),
		colActions:   floatList(d.Actions, d.ActDim),
		colRewards:   func(i int) any { return float64(d.Rewards[i]) },
		colNextObs:   floatList(d.NextObservations, d.ObsDim),
		colTerminals: func(i int) any { return d.Terminals[i] },
		colTimeouts:  func(i int) any { return d.Timeouts[i] },
	}
	for k, f := range cells {
		all[k] = f
	}

	schema := foreignSchema(spec, all)
	rows := foreignRows(t, schema, spec, all, d.Len())

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := append([]parquet.WriterOption{schema}, spec.options...)
	for k, v := range spec.keyValues {
		opts = append(opts, parquet.KeyValueMetadata(k, v))
	}
	w := parquet.NewWriter(f, opts...)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// foreignSchema builds the schema of the columns in cells, dropping
// spec.drop from cells.
func foreignSchema(spec foreignSpec, cells map[string]cellFunc) *parquet.Schema {
	group := parquet.Group{}
	for name := range cells {
		switch name {
		case spec.drop:
			delete(cells, name)
		case colEpisodeID, colStep:
			group[name] = spec.integer
		case colObs, colActions, colNextObs:
			group[name] = spec.list.node(spec.float)
		case colRewards:
			group[name] = spec.float
		default:
			group[name] = parquet.Leaf(parquet.BooleanType)
		}
	}
	return parquet.NewSchema("schema", group)
}

// foreignRows builds n rows of leaf values in column order.
func foreignRows(
	t testing.TB, schema *parquet.Schema, spec foreignSpec, cells map[string]cellFunc, n int,
) []parquet.Row {
	t.Helper()
	type leafCol struct {
		leaf parquet.LeafColumn
		name string
		list bool
	}
	var leaves []leafCol
	for name := range cells {
		path := []string{name}
		list := name == colObs || name == colActions || name == colNextObs
		if list {
			path = append(path, spec.list.path...)
		}
		leaf, ok := schema.Lookup(path...)
		if !ok {
			t.Fatalf("no leaf %v in schema %v", path, schema)
		}
		leaves = append(leaves, leafCol{leaf, name, list})
	}
	slices.SortFunc(leaves, func(a, b leafCol) int {
		return a.leaf.ColumnIndex - b.leaf.ColumnIndex
	})

	rows := make([]parquet.Row, n)
	for i := range rows {
		for _, c := range leaves {
			rows[i] = appendCell(t, rows[i], c.leaf, c.list, spec.list.emptyDef, cells[c.name](i))
		}
	}
	return rows
}

// appendCell appends the leaf values of one cell with their levels.
func appendCell(
	t testing.TB, row parquet.Row, leaf parquet.LeafColumn, list bool, emptyDef int, cell any,
) parquet.Row {
	t.Helper()
	col, maxDef := leaf.ColumnIndex, leaf.MaxDefinitionLevel
	value := func(x float64) parquet.Value {
		switch leaf.Node.Type().Kind() {
		case parquet.Float:
			return parquet.ValueOf(float32(x))
		case parquet.Double:
			return parquet.ValueOf(x)
		case parquet.Int32:
			return parquet.ValueOf(int32(x))
		case parquet.Int64:
			return parquet.ValueOf(int64(x))
		}
		t.Fatalf("unexpected leaf kind %v", leaf.Node.Type().Kind())
		return parquet.Value{}
	}
	switch v := cell.(type) {
	case nil:
		return append(row, parquet.NullValue().Level(0, 0, col))
	case bool:
		return append(row, parquet.ValueOf(v).Level(0, maxDef, col))
	case float64:
		return append(row, value(v).Level(0, maxDef, col))
	case []float64:
		if !list {
			t.Fatalf("list cell for scalar column %v", leaf.Path)
		}
		if len(v) == 0 {
			return append(row, parquet.NullValue().Level(0, emptyDef, col))
		}
		for j, x := range v {
			rep := 1
			if j == 0 {
				rep = 0
			}
			if isNullElement(x) {
				row = append(row, parquet.NullValue().Level(rep, maxDef-1, col))
				continue
			}
			row = append(row, value(x).Level(rep, maxDef, col))
		}
		return row
	}
	t.Fatalf("unexpected cell %T", cell)
	return row
}

// nullElement marks a list element to be written as null.
const nullElement = -12345.678

func isNullElement(x float64) bool { return x == nullElement }
