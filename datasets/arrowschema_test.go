package datasets

import (
	"encoding/base64"
	"encoding/binary"
	"path/filepath"
	"testing"
)

// fbReader decodes a FlatBuffer for the test, failing on any offset out of
// range or misaligned, as a verifying reader (Arrow C++) would.
type fbReader struct {
	t *testing.T
	b []byte
}

func (r *fbReader) u32(pos int) uint32 {
	r.t.Helper()
	if pos < 0 || pos+4 > len(r.b) || pos%4 != 0 {
		r.t.Fatalf("uint32 at %d: out of range or misaligned (buffer %d bytes)", pos, len(r.b))
	}
	return binary.LittleEndian.Uint32(r.b[pos:])
}

func (r *fbReader) u16(pos int) uint16 {
	r.t.Helper()
	if pos < 0 || pos+2 > len(r.b) || pos%2 != 0 {
		r.t.Fatalf("uint16 at %d: out of range or misaligned", pos)
	}
	return binary.LittleEndian.Uint16(r.b[pos:])
}

// fbTable is a decoded table: its position and its vtable's.
type fbTable struct {
	r       *fbReader
	pos, vt int
}

func (r *fbReader) table(pos int) fbTable {
	r.t.Helper()
	vt := pos - int(int32(r.u32(pos)))
	if size := int(r.u16(vt)); size < 4 || size%2 != 0 {
		r.t.Fatalf("vtable at %d has size %d", vt, size)
	}
	return fbTable{r, pos, vt}
}

// field returns the position of a field, or 0 when it is absent.
func (t fbTable) field(slot int) int {
	t.r.t.Helper()
	if 4+2*slot >= int(t.r.u16(t.vt)) {
		return 0
	}
	off := int(t.r.u16(t.vt + 4 + 2*slot))
	if off == 0 {
		return 0
	}
	if off >= int(t.r.u16(t.vt+2)) {
		t.r.t.Fatalf("field %d at offset %d lies outside its table", slot, off)
	}
	return t.pos + off
}

func (t fbTable) int32(slot int) int32 {
	if p := t.field(slot); p != 0 {
		return int32(t.r.u32(p))
	}
	return 0
}

func (t fbTable) int16(slot int) int16 {
	if p := t.field(slot); p != 0 {
		return int16(t.r.u16(p))
	}
	return 0
}

func (t fbTable) uint8(slot int) uint8 {
	if p := t.field(slot); p != 0 {
		return t.r.b[p]
	}
	return 0
}

// ref follows the uoffset in slot, which must be present.
func (t fbTable) ref(slot int) int {
	t.r.t.Helper()
	p := t.field(slot)
	if p == 0 {
		t.r.t.Fatalf("required field %d is absent", slot)
	}
	return p + int(t.r.u32(p))
}

func (t fbTable) table(slot int) fbTable { return t.r.table(t.ref(slot)) }

func (t fbTable) str(slot int) string {
	t.r.t.Helper()
	p := t.ref(slot)
	n := int(t.r.u32(p))
	if p+4+n >= len(t.r.b) || t.r.b[p+4+n] != 0 {
		t.r.t.Fatalf("string at %d is not NUL-terminated inside the buffer", p)
	}
	return string(t.r.b[p+4 : p+4+n])
}

// tables returns the tables of a vector of offsets.
func (t fbTable) tables(slot int) []fbTable {
	p := t.ref(slot)
	n := int(t.r.u32(p))
	out := make([]fbTable, n)
	for i := range out {
		e := p + 4 + 4*i
		out[i] = t.r.table(e + int(t.r.u32(e)))
	}
	return out
}

// TestArrowSchema decodes the ARROW:schema value and checks every field
// against the Arrow format's Schema and Message tables.
func TestArrowSchema(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(arrowSchema(17, 6, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 8 || binary.LittleEndian.Uint32(raw) != 0xFFFFFFFF {
		t.Fatalf("message does not start with the continuation marker: % x", raw[:min(8, len(raw))])
	}
	if n := int(binary.LittleEndian.Uint32(raw[4:])); n != len(raw)-8 || n%8 != 0 {
		t.Fatalf("metadata length %d, want %d and a multiple of 8", n, len(raw)-8)
	}
	r := &fbReader{t: t, b: raw[8:]}
	msg := r.table(int(r.u32(0)))
	if v, h := msg.int16(0), msg.uint8(1); v != arrowMetadataV5 || h != arrowHeaderSchema {
		t.Fatalf("message version %d, header type %d, want %d, %d",
			v, h, arrowMetadataV5, arrowHeaderSchema)
	}
	schema := msg.table(2)
	if e := schema.int16(0); e != 0 {
		t.Errorf("endianness %d, want 0 (little)", e)
	}

	want := []struct {
		name string
		typ  uint8
		size int32 // bit width or list size
	}{
		{"episode_id", arrowTypeInt, 32},
		{"step", arrowTypeInt, 32},
		{"observations", arrowTypeFixedSizeLst, 17},
		{"actions", arrowTypeFixedSizeLst, 6},
		{"rewards", arrowTypeFloatingPt, 0},
		{"next_observations", arrowTypeFixedSizeLst, 17},
		{"terminals", arrowTypeBool, 0},
		{"timeouts", arrowTypeBool, 0},
	}
	fields := schema.tables(1)
	if len(fields) != len(want) {
		t.Fatalf("schema has %d fields, want %d", len(fields), len(want))
	}
	for i, w := range want {
		f := fields[i]
		if name, typ := f.str(0), f.uint8(2); name != w.name || typ != w.typ {
			t.Errorf("field %d = %q type %d, want %q type %d", i, name, typ, w.name, w.typ)
			continue
		}
		if f.uint8(1) != 0 {
			t.Errorf("field %s is nullable, want non-nullable", w.name)
		}
		typ, children := f.table(3), f.tables(5)
		switch w.typ {
		case arrowTypeInt:
			if typ.int32(0) != w.size || typ.uint8(1) != 1 {
				t.Errorf("field %s: Int(%d, signed %d), want Int(%d, signed)",
					w.name, typ.int32(0), typ.uint8(1), w.size)
			}
		case arrowTypeFloatingPt:
			if typ.int16(0) != arrowPrecisionSingle {
				t.Errorf("field %s: precision %d, want SINGLE", w.name, typ.int16(0))
			}
		case arrowTypeFixedSizeLst:
			if typ.int32(0) != w.size || len(children) != 1 {
				t.Fatalf("field %s: FixedSizeList(%d) with %d children, want (%d) with 1",
					w.name, typ.int32(0), len(children), w.size)
			}
			c := children[0]
			isFloat32 := c.uint8(2) == arrowTypeFloatingPt &&
				c.table(3).int16(0) == arrowPrecisionSingle
			if c.str(0) != "element" || !isFloat32 {
				t.Errorf("field %s: child %q type %d, want element float32",
					w.name, c.str(0), c.uint8(2))
			}
			continue
		}
		if len(children) != 0 {
			t.Errorf("field %s has %d children, want 0", w.name, len(children))
		}
	}
}

// TestArrowSchema_InFooter checks that written files carry the schema for
// their own dimensions.
func TestArrowSchema_InFooter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.parquet")
	if err := Write(path, makeDataset(t, []int{2}, 5, 3, 1)); err != nil {
		t.Fatal(err)
	}
	got, ok := openTestParquet(t, path).Lookup(arrowSchemaKey)
	if !ok || got != arrowSchema(5, 3, 0, 0) {
		t.Errorf("footer %s = %q, %v, want the schema for dimensions 5 and 3",
			arrowSchemaKey, got, ok)
	}
}
