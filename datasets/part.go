package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// partWriter encodes one Parquet file.
type partWriter struct {
	name  string // file name reported in errors and the manifest
	path  string // where it is being written
	f     *os.File
	out   *hashingWriter
	pw    *parquet.GenericWriter[parquetRow]      // without state columns
	spw   *parquet.GenericWriter[parquetStateRow] // with them (nq > 0)
	obs   int                                     // ObsDim
	act   int                                     // ActDim
	nq    int                                     // NQ; 0: no state columns
	nv    int                                     // NV
	rows  int64
	tally tally

	firstEpisode, lastEpisode int32

	// Rows waiting for the encoder, with their vectors in the arenas.
	batch               []parquetRow
	obsArena, nextArena []float32
	actArena            []float32
	sbatch              []parquetStateRow // used instead of batch when nq > 0
	qposArena           []float64
	qvelArena           []float64
}

// parquetRow is the row layout of specs/datasets.md §5.2, in column order.
// Only episode_id is dictionary-encoded; float columns are PLAIN.
type parquetRow struct {
	EpisodeID        int32     `parquet:"episode_id,dict"`
	Step             int32     `parquet:"step"`
	Observations     []float32 `parquet:"observations,list"`
	Actions          []float32 `parquet:"actions,list"`
	Rewards          float32   `parquet:"rewards"`
	NextObservations []float32 `parquet:"next_observations,list"`
	Terminals        bool      `parquet:"terminals"`
	Timeouts         bool      `parquet:"timeouts"`
}

// parquetStateRow is parquetRow followed by the optional state columns of
// specs/datasets.md §5.2, qpos and qvel (pre-step), each a 3-level LIST of
// DOUBLE. It is a separate type so that files without state keep the
// exact schema, and bytes, of parquetRow.
type parquetStateRow struct {
	EpisodeID        int32     `parquet:"episode_id,dict"`
	Step             int32     `parquet:"step"`
	Observations     []float32 `parquet:"observations,list"`
	Actions          []float32 `parquet:"actions,list"`
	Rewards          float32   `parquet:"rewards"`
	NextObservations []float32 `parquet:"next_observations,list"`
	Terminals        bool      `parquet:"terminals"`
	Timeouts         bool      `parquet:"timeouts"`
	Qpos             []float64 `parquet:"qpos,list"`
	Qvel             []float64 `parquet:"qvel,list"`
}

// hashingWriter writes to a file while hashing and counting the bytes.
type hashingWriter struct {
	f *os.File
	h hash.Hash
	n int64
}

// Write writes b to the file and the hash.
func (hw *hashingWriter) Write(b []byte) (int, error) {
	n, err := hw.f.Write(b)
	hw.h.Write(b[:n])
	hw.n += int64(n)
	return n, err
}

// newPartWriter creates the file at path and its Parquet encoder; nq > 0
// adds the qpos and qvel columns of nq and nv values.
func newPartWriter(path, name string, obsDim, actDim, nq, nv int,
	o WriterOptions) (*partWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	out := &hashingWriter{f: f, h: sha256.New()}
	options := []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: kzstd.EncoderLevelFromZstd(o.CompressionLevel)}),
		parquet.DataPageVersion(1),
		parquet.PageBufferSize(o.PageBytes),
		parquet.MaxRowsPerRowGroup(int64(o.RowGroupRows)),
		parquet.CreatedBy("offrl", "1", "parquet-go"),
	}
	p := &partWriter{
		name: name, path: path, f: f, out: out, obs: obsDim, act: actDim, nq: nq, nv: nv,
		obsArena:  make([]float32, 0, batchRows*obsDim),
		nextArena: make([]float32, 0, batchRows*obsDim),
		actArena:  make([]float32, 0, batchRows*actDim),
	}
	if nq > 0 {
		schema := parquet.NewSchema("schema", parquet.SchemaOf(parquetStateRow{}))
		p.spw = parquet.NewGenericWriter[parquetStateRow](out, append(options, schema)...)
		p.sbatch = make([]parquetStateRow, 0, batchRows)
		p.qposArena = make([]float64, 0, batchRows*nq)
		p.qvelArena = make([]float64, 0, batchRows*nv)
	} else {
		schema := parquet.NewSchema("schema", parquet.SchemaOf(parquetRow{}))
		p.pw = parquet.NewGenericWriter[parquetRow](out, append(options, schema)...)
		p.batch = make([]parquetRow, 0, batchRows)
	}
	return p, nil
}

// add copies t into the batch, handing the batch to the encoder when full.
func (p *partWriter) add(t *Transition) error {
	if p.rows == 0 {
		p.firstEpisode = t.EpisodeID
	}
	p.lastEpisode = t.EpisodeID
	o, a := len(p.obsArena), len(p.actArena)
	p.obsArena = append(p.obsArena, t.Obs...)
	p.nextArena = append(p.nextArena, t.NextObs...)
	p.actArena = append(p.actArena, t.Action...)
	row := parquetRow{
		EpisodeID:        t.EpisodeID,
		Step:             t.Step,
		Observations:     p.obsArena[o : o+p.obs : o+p.obs],
		Actions:          p.actArena[a : a+p.act : a+p.act],
		Rewards:          t.Reward,
		NextObservations: p.nextArena[o : o+p.obs : o+p.obs],
		Terminals:        t.Terminal,
		Timeouts:         t.Timeout,
	}
	full := false
	if p.nq > 0 {
		q, v := len(p.qposArena), len(p.qvelArena)
		p.qposArena = append(p.qposArena, t.Qpos...)
		p.qvelArena = append(p.qvelArena, t.Qvel...)
		p.sbatch = append(p.sbatch, parquetStateRow{
			EpisodeID: row.EpisodeID, Step: row.Step,
			Observations: row.Observations, Actions: row.Actions, Rewards: row.Rewards,
			NextObservations: row.NextObservations,
			Terminals:        row.Terminals, Timeouts: row.Timeouts,
			Qpos: p.qposArena[q : q+p.nq : q+p.nq], Qvel: p.qvelArena[v : v+p.nv : v+p.nv],
		})
		full = len(p.sbatch) == cap(p.sbatch)
	} else {
		p.batch = append(p.batch, row)
		full = len(p.batch) == cap(p.batch)
	}
	p.rows++
	p.tally.add(t.Reward, t.Terminal, t.Timeout)
	if full {
		return p.flush()
	}
	return nil
}

// flush hands the batched rows to the encoder and empties the arenas.
func (p *partWriter) flush() error {
	var err error
	switch {
	case len(p.batch) > 0:
		_, err = p.pw.Write(p.batch)
	case len(p.sbatch) > 0:
		_, err = p.spw.Write(p.sbatch)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", p.name, err)
	}
	p.batch, p.sbatch = p.batch[:0], p.sbatch[:0]
	p.obsArena, p.nextArena, p.actArena = p.obsArena[:0], p.nextArena[:0], p.actArena[:0]
	p.qposArena, p.qvelArena = p.qposArena[:0], p.qvelArena[:0]
	return nil
}

// close writes the footer with meta, syncs and closes the file, and
// returns the part's manifest entry.
func (p *partWriter) close(meta Metadata) (shard, error) {
	if err := p.flush(); err != nil {
		return shard{}, err
	}
	kv, err := meta.keyValues(p.name)
	if err != nil {
		return shard{}, err
	}
	set, closeWriter := p.pw.SetKeyValueMetadata, p.pw.Close
	if p.spw != nil {
		set, closeWriter = p.spw.SetKeyValueMetadata, p.spw.Close
	}
	for _, pair := range kv {
		set(pair[0], pair[1])
	}
	set(arrowSchemaKey, arrowSchema(p.obs, p.act, p.nq, p.nv))
	if err := closeWriter(); err != nil {
		return shard{}, fmt.Errorf("finishing %s: %w", p.name, err)
	}
	if err := p.f.Sync(); err != nil {
		return shard{}, fmt.Errorf("syncing %s: %w", p.name, err)
	}
	err = p.f.Close()
	p.f = nil
	if err != nil {
		return shard{}, fmt.Errorf("closing %s: %w", p.name, err)
	}
	return shard{
		Path:     p.name,
		Episodes: [2]int64{int64(p.firstEpisode), int64(p.lastEpisode)},
		Rows:     p.rows,
		SHA256:   hex.EncodeToString(p.out.h.Sum(nil)),
		Bytes:    p.out.n,
	}, nil
}

// abort closes the file without finishing it.
func (p *partWriter) abort() error {
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	return err
}
