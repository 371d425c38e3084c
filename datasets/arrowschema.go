package datasets

import (
	"encoding/base64"
	"encoding/binary"
)

// arrowSchemaKey is the footer key under which Arrow-based readers
// (pyarrow, arrow-rs, Arrow C++) look for the Arrow schema of a Parquet
// file.
const arrowSchemaKey = "ARROW:schema"

// Arrow flatbuffer enum values (format/Schema.fbs and format/Message.fbs of
// the Arrow columnar format).
const (
	arrowMetadataV5       = 4  // MetadataVersion.V5
	arrowHeaderSchema     = 1  // MessageHeader.Schema
	arrowTypeInt          = 2  // Type.Int
	arrowTypeFloatingPt   = 3  // Type.FloatingPoint
	arrowTypeBool         = 6  // Type.Bool
	arrowTypeFixedSizeLst = 16 // Type.FixedSizeList
	arrowPrecisionSingle  = 1  // Precision.SINGLE
	arrowPrecisionDouble  = 2  // Precision.DOUBLE
)

// arrowSchema returns the base64 text stored under [arrowSchemaKey]: an
// encapsulated Arrow IPC message whose header is the Schema of our columns,
// with observations, actions and next_observations declared as
// FixedSizeList<float32> of obsDim, actDim and obsDim, and every field
// non-nullable. With it, Arrow readers restore fixed-size lists instead of
// the variable-length list<float> that the Parquet schema alone implies.
// The list element field is named "element", as in the Parquet schema.
// With nq > 0 the optional state columns follow: qpos and qvel as
// FixedSizeList<float64> of nq and nv.
func arrowSchema(obsDim, actDim, nq, nv int) string {
	b := &fbBuilder{}
	type col struct {
		name   string
		kind   byte
		size   int  // list size for FixedSizeList, bit width for Int
		double bool // FixedSizeList of float64 rather than float32
	}
	cols := []col{
		{"episode_id", arrowTypeInt, 32, false},
		{"step", arrowTypeInt, 32, false},
		{"observations", arrowTypeFixedSizeLst, obsDim, false},
		{"actions", arrowTypeFixedSizeLst, actDim, false},
		{"rewards", arrowTypeFloatingPt, 0, false},
		{"next_observations", arrowTypeFixedSizeLst, obsDim, false},
		{"terminals", arrowTypeBool, 0, false},
		{"timeouts", arrowTypeBool, 0, false},
	}
	if nq > 0 {
		cols = append(cols, col{colQpos, arrowTypeFixedSizeLst, nq, true},
			col{colQvel, arrowTypeFixedSizeLst, nv, true})
	}
	fields := make([]uint32, len(cols))
	for i, c := range cols {
		switch c.kind {
		case arrowTypeInt:
			fields[i] = arrowField(b, c.name, arrowTypeInt, arrowInt(b, c.size), 0)
		case arrowTypeFloatingPt:
			fields[i] = arrowField(b, c.name, arrowTypeFloatingPt, arrowFloat32(b), 0)
		case arrowTypeBool:
			fields[i] = arrowField(b, c.name, arrowTypeBool, arrowEmptyTable(b), 0)
		case arrowTypeFixedSizeLst:
			typ := arrowFloat32(b)
			if c.double {
				typ = arrowFloat64(b)
			}
			elem := arrowField(b, "element", arrowTypeFloatingPt, typ, 0)
			children := b.offsetVector([]uint32{elem})
			b.startTable()
			b.addInt32(0, int32(c.size)) // FixedSizeList.listSize
			fields[i] = arrowField(b, c.name, arrowTypeFixedSizeLst, b.endTable(), children)
		}
	}
	fieldVec := b.offsetVector(fields)

	b.startTable() // Schema
	b.addOffset(1, fieldVec)
	schema := b.endTable()

	b.startTable() // Message
	b.addInt16(0, arrowMetadataV5)
	b.addUint8(1, arrowHeaderSchema)
	b.addOffset(2, schema)
	msg := b.finish(b.endTable())

	// Encapsulation: continuation marker, metadata length, then the
	// flatbuffer padded to a multiple of 8 bytes.
	padded := (len(msg) + 7) &^ 7
	out := make([]byte, 8+padded)
	binary.LittleEndian.PutUint32(out[0:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(out[4:], uint32(padded))
	copy(out[8:], msg)
	return base64.StdEncoding.EncodeToString(out)
}

// arrowField builds a non-nullable Field table. children is the offset of
// a vector of child fields, or 0 for none.
// Arrow readers require the children vector, so a leaf gets an empty one.
func arrowField(b *fbBuilder, name string, typeType byte, typ, children uint32) uint32 {
	if children == 0 {
		children = b.offsetVector(nil)
	}
	nameOff := b.createString(name)
	b.startTable()
	b.addOffset(0, nameOff)
	// Field.nullable (slot 1) defaults to false, which is what we mean.
	b.addUint8(2, typeType)
	b.addOffset(3, typ)
	b.addOffset(5, children)
	return b.endTable()
}

// arrowInt builds a signed Int type table of the given bit width.
func arrowInt(b *fbBuilder, bits int) uint32 {
	b.startTable()
	b.addInt32(0, int32(bits))
	b.addBool(1, true)
	return b.endTable()
}

// arrowFloat32 builds a FloatingPoint type table of single precision.
func arrowFloat32(b *fbBuilder) uint32 {
	b.startTable()
	b.addInt16(0, arrowPrecisionSingle)
	return b.endTable()
}

// arrowFloat64 builds a FloatingPoint type table of double precision.
func arrowFloat64(b *fbBuilder) uint32 {
	b.startTable()
	b.addInt16(0, arrowPrecisionDouble)
	return b.endTable()
}

// arrowEmptyTable builds a table without fields (the Bool type).
func arrowEmptyTable(b *fbBuilder) uint32 {
	b.startTable()
	return b.endTable()
}

// fbBuilder writes a FlatBuffer back to front, the way the format expects:
// children are written before the tables that point to them, so every
// uoffset points forward. Offsets returned by its methods count bytes from
// the end of the buffer.
//
// It supports only what the Arrow schema message needs: tables with
// scalar and offset fields, strings, and vectors of offsets.
type fbBuilder struct {
	buf      []byte // data occupies buf[head:]
	head     int
	minAlign int
	fields   []int // per slot: offset of the field, 0 if absent
	tableEnd int   // offset where the current table's fields began
}

// offset returns the number of bytes written so far.
func (b *fbBuilder) offset() int { return len(b.buf) - b.head }

// grow makes room for n more bytes at the front.
func (b *fbBuilder) grow(n int) {
	if b.head >= n {
		return
	}
	size := max(2*len(b.buf), len(b.buf)+n, 64)
	nb := make([]byte, size)
	used := b.offset()
	copy(nb[size-used:], b.buf[b.head:])
	b.buf, b.head = nb, size-used
}

// prep pads so that, after writing extra more bytes, the next size-byte
// value is aligned to size.
func (b *fbBuilder) prep(size, extra int) {
	b.minAlign = max(b.minAlign, size)
	pad := (-(b.offset() + extra)) & (size - 1)
	b.grow(pad + size + extra)
	for range pad {
		b.head--
		b.buf[b.head] = 0
	}
}

// put writes raw little-endian bytes at the front.
func (b *fbBuilder) put(v []byte) {
	b.grow(len(v))
	b.head -= len(v)
	copy(b.buf[b.head:], v)
}

func (b *fbBuilder) putUint8(v uint8) { b.prep(1, 0); b.put([]byte{v}) }
func (b *fbBuilder) putUint16(v uint16) {
	b.prep(2, 0)
	b.put(binary.LittleEndian.AppendUint16(nil, v))
}
func (b *fbBuilder) putUint32(v uint32) {
	b.prep(4, 0)
	b.put(binary.LittleEndian.AppendUint32(nil, v))
}

// putUOffset writes a uoffset pointing at the object written at off.
func (b *fbBuilder) putUOffset(off uint32) {
	b.prep(4, 0)
	b.putUint32(uint32(b.offset()) - off + 4)
}

// createString writes a length-prefixed, NUL-terminated string.
func (b *fbBuilder) createString(s string) uint32 {
	b.prep(4, len(s)+1)
	b.put(append([]byte(s), 0))
	b.putUint32(uint32(len(s)))
	return uint32(b.offset())
}

// offsetVector writes a vector of uoffsets to the given objects.
func (b *fbBuilder) offsetVector(offs []uint32) uint32 {
	b.prep(4, 4*len(offs))
	for i := len(offs) - 1; i >= 0; i-- {
		b.putUOffset(offs[i])
	}
	b.putUint32(uint32(len(offs)))
	return uint32(b.offset())
}

// startTable begins a table; fields are added by slot number.
func (b *fbBuilder) startTable() {
	b.fields = b.fields[:0]
	b.tableEnd = b.offset()
}

// slot records that the field in slot i was just written.
func (b *fbBuilder) slot(i int) {
	for len(b.fields) <= i {
		b.fields = append(b.fields, 0)
	}
	b.fields[i] = b.offset()
}

func (b *fbBuilder) addUint8(i int, v uint8) { b.putUint8(v); b.slot(i) }
func (b *fbBuilder) addBool(i int, v bool) {
	var x uint8
	if v {
		x = 1
	}
	b.addUint8(i, x)
}
func (b *fbBuilder) addInt16(i int, v int16) { b.putUint16(uint16(v)); b.slot(i) }
func (b *fbBuilder) addInt32(i int, v int32) { b.putUint32(uint32(v)); b.slot(i) }
func (b *fbBuilder) addOffset(i int, off uint32) {
	b.putUOffset(off)
	b.slot(i)
}

// endTable writes the table's vtable and the table's offset to it, and
// returns the table's offset.
func (b *fbBuilder) endTable() uint32 {
	b.putUint32(0) // placeholder for the soffset to the vtable
	table := b.offset()
	for i := len(b.fields) - 1; i >= 0; i-- {
		var rel uint16
		if b.fields[i] != 0 {
			rel = uint16(table - b.fields[i])
		}
		b.putUint16(rel)
	}
	b.putUint16(uint16(table - b.tableEnd))
	b.putUint16(uint16(4 + 2*len(b.fields)))
	vtable := b.offset()
	// The table starts with vtable_position = table_position - soffset;
	// with back-to-front offsets that soffset is vtable - table.
	binary.LittleEndian.PutUint32(b.buf[len(b.buf)-table:], uint32(int32(vtable-table)))
	b.fields = b.fields[:0]
	return uint32(table)
}

// finish writes the root offset and returns the finished buffer.
func (b *fbBuilder) finish(root uint32) []byte {
	b.prep(b.minAlign, 4)
	b.putUOffset(root)
	return b.buf[b.head:]
}
