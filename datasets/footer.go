package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// parquetMagic opens and closes every Parquet file.
const parquetMagic = "PAR1"

// openParquet checks the framing of a Parquet file (magic numbers, footer
// length, a well-formed Thrift footer) and opens it with parquet-go. Only
// the footer is read. Bad framing is an error wrapping [ErrCorrupt].
//
// The footer is checked before parquet-go decodes it because its decoder
// allocates lists at the length the bytes claim: a damaged length could ask
// for more memory than the machine has, which crashes instead of failing.
func openParquet(r io.ReaderAt, size int64) (f *parquet.File, err error) {
	if size < 12 {
		return nil, errorf(ErrCorrupt, "file of %d bytes is too short for Parquet (at least 12)",
			size)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, errorf(ErrCorrupt, "reading magic number: %w", err)
	}
	if string(head[:4]) != parquetMagic {
		return nil, errorf(ErrCorrupt, "magic number %q at the start, want %q",
			head[:4], parquetMagic)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, errorf(ErrCorrupt, "reading footer trailer: %w", err)
	}
	if string(tail[4:]) != parquetMagic {
		if string(tail[4:]) == "PARE" {
			return nil, errorf(ErrSchema, "encrypted Parquet footers are not supported")
		}
		return nil, errorf(ErrCorrupt, "magic number %q at the end, want %q (truncated file?)",
			tail[4:], parquetMagic)
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerLen > size-12 {
		return nil, errorf(ErrCorrupt, "footer length %d does not fit in a file of %d bytes",
			footerLen, size)
	}
	footer := make([]byte, footerLen)
	if _, err := r.ReadAt(footer, size-8-footerLen); err != nil {
		return nil, errorf(ErrCorrupt, "reading footer: %w", err)
	}
	if err := skimThrift(footer); err != nil {
		return nil, errorf(ErrCorrupt, "footer: %w", err)
	}

	defer recoverDecoder(&err)
	f, err = parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, mark(ErrCorrupt, err)
	}
	return f, nil
}

// recoverDecoder turns a panic inside parquet-go into an error wrapping
// [ErrCorrupt]. Reading must never panic on a file's bytes; parquet-go
// checks most malformed input but not all, so this is the last line.
func recoverDecoder(err *error) {
	if v := recover(); v != nil {
		*err = errorf(ErrCorrupt, "Parquet decoder failed: %v", v)
	}
}

// Thrift compact protocol type codes.
const (
	thriftTrue   = 1
	thriftFalse  = 2
	thriftByte   = 3
	thriftI16    = 4
	thriftI32    = 5
	thriftI64    = 6
	thriftDouble = 7
	thriftBinary = 8
	thriftList   = 9
	thriftSet    = 10
	thriftMap    = 11
	thriftStruct = 12
)

// maxThriftDepth bounds the nesting of structs and containers; the Parquet
// footer nests fewer than ten levels.
const maxThriftDepth = 64

// errThrift reports a malformed Thrift structure.
var errThrift = errors.New("malformed Thrift compact encoding")

// skimThrift walks one Thrift struct in the compact protocol without
// building it, and fails if any length or element count claims more bytes
// than remain, if nesting exceeds maxThriftDepth, or if the bytes end
// early.
func skimThrift(b []byte) error {
	s := skimmer{b: b}
	return s.structure(0)
}

// skimmer is the cursor of skimThrift.
type skimmer struct {
	b   []byte
	pos int
}

func (s *skimmer) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errThrift, what, s.pos)
}

func (s *skimmer) byte() (byte, error) {
	if s.pos >= len(s.b) {
		return 0, s.fail("unexpected end")
	}
	s.pos++
	return s.b[s.pos-1], nil
}

func (s *skimmer) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := s.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, s.fail("varint longer than 10 bytes")
}

func (s *skimmer) skip(n uint64) error {
	if n > uint64(len(s.b)-s.pos) {
		return s.fail(fmt.Sprintf("length %d exceeds the %d bytes left", n, len(s.b)-s.pos))
	}
	s.pos += int(n)
	return nil
}

// structure skims fields until the stop byte.
func (s *skimmer) structure(depth int) error {
	if depth > maxThriftDepth {
		return s.fail("nesting too deep")
	}
	for {
		h, err := s.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a varint
			if _, err := s.varint(); err != nil {
				return err
			}
		}
		typ := h & 0x0f
		if typ == thriftTrue || typ == thriftFalse {
			continue // a struct field's boolean lives in its type code
		}
		if err := s.value(typ, depth); err != nil {
			return err
		}
	}
}

// value skims one value of the given type.
func (s *skimmer) value(typ byte, depth int) error {
	switch typ {
	case thriftTrue, thriftFalse, thriftByte:
		return s.skip(1)
	case thriftI16, thriftI32, thriftI64:
		_, err := s.varint()
		return err
	case thriftDouble:
		return s.skip(8)
	case thriftBinary:
		n, err := s.varint()
		if err != nil {
			return err
		}
		return s.skip(n)
	case thriftList, thriftSet:
		return s.list(depth)
	case thriftMap:
		return s.mapping(depth)
	case thriftStruct:
		return s.structure(depth + 1)
	}
	return s.fail(fmt.Sprintf("unknown type %d", typ))
}

// list skims a list or set; every element takes at least one byte, so a
// count above the bytes left is malformed.
func (s *skimmer) list(depth int) error {
	if depth > maxThriftDepth {
		return s.fail("nesting too deep")
	}
	h, err := s.byte()
	if err != nil {
		return err
	}
	n, elem := uint64(h>>4), h&0x0f
	if n == 15 {
		if n, err = s.varint(); err != nil {
			return err
		}
	}
	if n > uint64(len(s.b)-s.pos) {
		return s.fail(fmt.Sprintf("list of %d elements exceeds the %d bytes left",
			n, len(s.b)-s.pos))
	}
	for range n {
		if err := s.value(elem, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// mapping skims a map.
func (s *skimmer) mapping(depth int) error {
	if depth > maxThriftDepth {
		return s.fail("nesting too deep")
	}
	n, err := s.varint()
	if err != nil || n == 0 {
		return err
	}
	if n > uint64(len(s.b)-s.pos)/2 {
		return s.fail(fmt.Sprintf("map of %d entries exceeds the %d bytes left", n, len(s.b)-s.pos))
	}
	kv, err := s.byte()
	if err != nil {
		return err
	}
	for range n {
		if err := s.value(kv>>4, depth+1); err != nil {
			return err
		}
		if err := s.value(kv&0x0f, depth+1); err != nil {
			return err
		}
	}
	return nil
}
