package replay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"offrl/internal/atomicfile"
)

// The file written by [Buffer.SaveFile], little-endian throughout:
//
//	magic     8 bytes  "OFRLRPB1"
//	header    obs_dim, act_dim (uint32), capacity, size, cursor (uint64)
//	columns   observations  size×obs_dim float32
//	          actions       size×act_dim float32
//	          rewards       size         float32
//	          next_obs      size×obs_dim float32
//	          terminals     size         bytes (0 or 1)
//	          timeouts      size         bytes (0 or 1)
//	trailer   CRC-32C (Castagnoli) of every byte before it, uint32
//
// Rows are stored in buffer order (row i at index i), so a ring that has
// wrapped round-trips with its cursor.
const persistMagic = "OFRLRPB1"

const headerBytes = 8 + 2*4 + 3*8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SaveFile writes the buffer's contents, cursor and capacity to path,
// atomically (temporary file, sync, rename), with a checksum that
// [Buffer.LoadFile] verifies.
func (b *Buffer) SaveFile(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		h := crc32.New(castagnoli)
		mw := io.MultiWriter(w, h)
		var hdr [headerBytes]byte
		copy(hdr[:8], persistMagic)
		binary.LittleEndian.PutUint32(hdr[8:], uint32(b.obsDim))
		binary.LittleEndian.PutUint32(hdr[12:], uint32(b.actDim))
		binary.LittleEndian.PutUint64(hdr[16:], uint64(b.capacity))
		binary.LittleEndian.PutUint64(hdr[24:], uint64(b.size))
		binary.LittleEndian.PutUint64(hdr[32:], uint64(b.cursor))
		if _, err := mw.Write(hdr[:]); err != nil {
			return err
		}
		n, od, ad := b.size, b.obsDim, b.actDim
		for _, col := range [][]float32{b.obs[:n*od], b.actions[:n*ad], b.rewards[:n],
			b.nextObs[:n*od]} {
			if err := writeFloats(mw, col); err != nil {
				return err
			}
		}
		for _, col := range [][]bool{b.terminals[:n], b.timeouts[:n]} {
			if err := writeBools(mw, col); err != nil {
				return err
			}
		}
		var sum [4]byte
		binary.LittleEndian.PutUint32(sum[:], h.Sum32())
		_, err := w.Write(sum[:])
		return err
	})
}

func writeFloats(w io.Writer, v []float32) error {
	var chunk [4096]byte
	for len(v) > 0 {
		k := min(len(v), len(chunk)/4)
		for i, x := range v[:k] {
			binary.LittleEndian.PutUint32(chunk[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(chunk[:4*k]); err != nil {
			return err
		}
		v = v[k:]
	}
	return nil
}

func writeBools(w io.Writer, v []bool) error {
	out := make([]byte, len(v))
	for i, x := range v {
		if x {
			out[i] = 1
		}
	}
	_, err := w.Write(out)
	return err
}

// LoadFile replaces the buffer's contents with those saved at path by
// [Buffer.SaveFile]. The file must carry this buffer's widths and
// capacity and an intact checksum; every error names the file and what
// is wrong, and leaves the buffer unchanged.
func (b *Buffer) LoadFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading replay buffer: %w", err)
	}
	if len(raw) < headerBytes+4 || string(raw[:8]) != persistMagic {
		return fmt.Errorf("replay buffer %s: not a replay buffer file (%d bytes, magic %q)",
			path, len(raw), raw[:min(8, len(raw))])
	}
	body := raw[:len(raw)-4]
	stored := binary.LittleEndian.Uint32(raw[len(raw)-4:])
	if got := crc32.Checksum(body, castagnoli); got != stored {
		return fmt.Errorf("replay buffer %s is damaged: CRC-32C %08x, the file records %08x",
			path, got, stored)
	}
	od := int(binary.LittleEndian.Uint32(raw[8:]))
	ad := int(binary.LittleEndian.Uint32(raw[12:]))
	capacity := binary.LittleEndian.Uint64(raw[16:])
	size := binary.LittleEndian.Uint64(raw[24:])
	cursor := binary.LittleEndian.Uint64(raw[32:])
	switch {
	case od != b.obsDim || ad != b.actDim:
		return fmt.Errorf("replay buffer %s: obs_dim %d, act_dim %d, want %d and %d",
			path, od, ad, b.obsDim, b.actDim)
	case capacity != uint64(b.capacity):
		return fmt.Errorf("replay buffer %s: capacity %d, want %d", path, capacity, b.capacity)
	case size > capacity || cursor >= capacity || (size < capacity && cursor != size):
		return fmt.Errorf("replay buffer %s: size %d and cursor %d do not fit capacity %d",
			path, size, cursor, capacity)
	}
	n := int(size)
	if want := headerBytes + n*(4*(2*od+ad+1)+2); len(body) != want {
		return fmt.Errorf("replay buffer %s: %d bytes of data, want %d for %d rows",
			path, len(body), want, n)
	}
	if err := checkColumns(body[headerBytes:], n, od, ad); err != nil {
		return fmt.Errorf("replay buffer %s: %w", path, err)
	}
	r := bytes.NewReader(body[headerBytes:])
	for _, col := range [][]float32{b.obs[:n*od], b.actions[:n*ad], b.rewards[:n],
		b.nextObs[:n*od]} {
		if err := binary.Read(r, binary.LittleEndian, col); err != nil {
			return fmt.Errorf("replay buffer %s: %w", path, err)
		}
	}
	flags := body[len(body)-2*n:]
	for i := range n {
		b.terminals[i], b.timeouts[i] = flags[i] == 1, flags[n+i] == 1
	}
	b.size, b.cursor = n, int(cursor)
	return nil
}

// checkColumns checks the columns of a file before any is copied: every
// float finite (as [Buffer.Add] requires) and every flag 0 or 1.
func checkColumns(data []byte, n, od, ad int) error {
	cols := []struct {
		name  string
		width int
	}{{"observations", od}, {"actions", ad}, {"rewards", 1}, {"next_obs", od}}
	off := 0
	for _, c := range cols {
		for i := range n * c.width {
			v := math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("column %s row %d: value %v, want a finite float32",
					c.name, i/c.width, v)
			}
		}
		off += 4 * n * c.width
	}
	for i, f := range data[off:] {
		if f > 1 {
			name := []string{"terminals", "timeouts"}[i/max(n, 1)]
			return fmt.Errorf("column %s row %d: byte %d, want 0 or 1", name, i%n, f)
		}
	}
	return nil
}

// Last returns row k counted back from the newest (k = 0 is the row
// added last): views of its observation, action and next observation,
// valid until the next Add. It panics if k ≥ Len, a programming error.
func (b *Buffer) Last(k int) (obs, action, nextObs []float32) {
	if k < 0 || k >= b.size {
		panic(fmt.Sprintf("replay: Last(%d) of a buffer of %d rows", k, b.size))
	}
	i := (b.cursor - 1 - k + b.capacity) % b.capacity
	od, ad := b.obsDim, b.actDim
	return b.obs[i*od : (i+1)*od], b.actions[i*ad : (i+1)*ad], b.nextObs[i*od : (i+1)*od]
}

// Oldest returns row k counted from the oldest the buffer holds (k = 0
// is the first transition still stored), as slices of the buffer's own
// storage; it panics if k is out of range.
func (b *Buffer) Oldest(k int) Transition {
	if k < 0 || k >= b.size {
		panic(fmt.Sprintf("replay: Oldest(%d) of a buffer of %d rows", k, b.size))
	}
	i := k
	if b.size == b.capacity {
		i = (b.cursor + k) % b.capacity
	}
	od, ad := b.obsDim, b.actDim
	return Transition{Obs: b.obs[i*od : (i+1)*od], Action: b.actions[i*ad : (i+1)*ad],
		NextObs: b.nextObs[i*od : (i+1)*od], Reward: b.rewards[i],
		Terminal: b.terminals[i], Timeout: b.timeouts[i]}
}
