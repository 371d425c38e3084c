package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"

	"offrl/internal/atomicfile"
)

// Tensor is a named float32 array with a shape, the unit of a safetensors
// file.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// ErrSafetensors reports a file that is not a valid float32 safetensors
// file; the wrapped message says which part is wrong.
var ErrSafetensors = errors.New("invalid safetensors file")

// maxHeaderBytes bounds the JSON header we accept, so a corrupt length
// cannot make us allocate gigabytes.
const maxHeaderBytes = 64 << 20

type tensorEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// SaveSafetensors writes tensors and string metadata to path in the
// safetensors format (an 8-byte little-endian header length, a JSON header,
// then the raw little-endian data), atomically. Tensors are stored in the
// given order; names must be unique.
func SaveSafetensors(path string, tensors []Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var offset int64
	for _, t := range tensors {
		if _, dup := header[t.Name]; dup || t.Name == "__metadata__" {
			return fmt.Errorf("saving %s: duplicate tensor name %q", path, t.Name)
		}
		if n := shapeSize(t.Shape); n != len(t.Data) {
			return fmt.Errorf("saving %s: tensor %s has shape %v but %d values", path, t.Name, t.Shape, len(t.Data))
		}
		size := int64(4 * len(t.Data))
		header[t.Name] = tensorEntry{DType: "F32", Shape: t.Shape,
			Offsets: [2]int64{offset, offset + size}}
		offset += size
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("saving %s: encoding header: %w", path, err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned.
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(js); err != nil {
			return err
		}
		buf := make([]byte, 0, 1<<16)
		for _, t := range tensors {
			for _, v := range t.Data {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				if len(buf) == cap(buf) {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
		}
		_, err := w.Write(buf)
		return err
	})
}

// LoadSafetensors reads a float32 safetensors file written by
// [SaveSafetensors] or by another writer (PyTorch's safetensors package).
// Tensors come back sorted by name. Any structural fault — a short file, a
// header that is not JSON, a dtype other than F32, offsets outside the data
// or overlapping — is an error wrapping [ErrSafetensors] that names the
// file and the tensor.
func LoadSafetensors(path string) ([]Tensor, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	ts, meta, err := ParseSafetensors(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

// ParseSafetensors decodes the bytes of a safetensors file; see
// [LoadSafetensors].
func ParseSafetensors(raw []byte) ([]Tensor, map[string]string, error) {
	if len(raw) < 8 {
		return nil, nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte header length", ErrSafetensors, len(raw))
	}
	hlen := binary.LittleEndian.Uint64(raw[:8])
	if hlen > maxHeaderBytes || hlen > uint64(len(raw)-8) {
		return nil, nil, fmt.Errorf("%w: header length %d does not fit the %d-byte file", ErrSafetensors, hlen, len(raw))
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+hlen], &header); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrSafetensors, err)
	}
	data := raw[8+hlen:]

	var meta map[string]string
	if m, ok := header["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, fmt.Errorf("%w: __metadata__: %v", ErrSafetensors, err)
		}
		delete(header, "__metadata__")
	}
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	sort.Strings(names)

	type span struct{ lo, hi int64 }
	var spans []span
	tensors := make([]Tensor, 0, len(names))
	for _, name := range names {
		var e tensorEntry
		if err := json.Unmarshal(header[name], &e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrSafetensors, name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("%w: tensor %q has dtype %q, want F32", ErrSafetensors, name, e.DType)
		}
		n := shapeSize(e.Shape)
		lo, hi := e.Offsets[0], e.Offsets[1]
		if n < 0 || lo < 0 || hi < lo || hi > int64(len(data)) || hi-lo != int64(4*n) {
			return nil, nil, fmt.Errorf("%w: tensor %q: shape %v and offsets [%d, %d] do not fit %d data bytes",
				ErrSafetensors, name, e.Shape, lo, hi, len(data))
		}
		spans = append(spans, span{lo, hi})
		t := Tensor{Name: name, Shape: e.Shape, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[lo+int64(4*i):]))
		}
		tensors = append(tensors, t)
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo - b.lo) })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, nil, fmt.Errorf("%w: tensors overlap at byte %d", ErrSafetensors, spans[i].lo)
		}
	}
	return tensors, meta, nil
}

// shapeSize returns the number of elements of shape, or −1 when a
// dimension is negative or the product overflows.
func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return -1
		}
		n *= d
	}
	return n
}

// ParamTensors views parameters as tensors that share their values.
func ParamTensors(ps Params) []Tensor {
	ts := make([]Tensor, len(ps))
	for i, p := range ps {
		ts[i] = Tensor{Name: p.Name, Shape: p.Shape, Data: p.Value}
	}
	return ts
}

// AssignTensors copies tensors into the parameters of the same name. Every
// parameter must be present with its exact shape; extra tensors are
// ignored. The error names the missing or mismatched parameter.
func AssignTensors(ps Params, ts []Tensor) error {
	byName := make(map[string]Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, p := range ps {
		t, ok := byName[p.Name]
		if !ok {
			return fmt.Errorf("parameter %s is missing", p.Name)
		}
		if !slices.Equal(t.Shape, p.Shape) {
			return fmt.Errorf("parameter %s has shape %v, want %v", p.Name, t.Shape, p.Shape)
		}
		copy(p.Value, t.Data)
	}
	return nil
}
