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
	pw    *parquet.GenericWriter[parquetRow]
	obs   int // ObsDim
	act   int // ActDim
	rows  int64
	tally tally

	firstEpisode, lastEpisode int32

	// Rows waiting for the encoder, with their vectors in the arenas.
	batch               []parquetRow
	obsArena, nextArena []float32
	actArena            []float32
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

// newPartWriter creates the file at path and its Parquet encoder.
func newPartWriter(path, name string, obsDim, actDim int, o WriterOptions) (*partWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	out := &hashingWriter{f: f, h: sha256.New()}
	schema := parquet.NewSchema("schema", parquet.SchemaOf(parquetRow{}))
	pw := parquet.NewGenericWriter[parquetRow](out, schema,
		parquet.Compression(&zstd.Codec{Level: kzstd.EncoderLevelFromZstd(o.CompressionLevel)}),
		parquet.DataPageVersion(1),
		parquet.PageBufferSize(o.PageBytes),
		parquet.MaxRowsPerRowGroup(int64(o.RowGroupRows)),
		parquet.CreatedBy("offrl", "1", "parquet-go"),
	)
	return &partWriter{
		name: name, path: path, f: f, out: out, pw: pw, obs: obsDim, act: actDim,
		batch:     make([]parquetRow, 0, batchRows),
		obsArena:  make([]float32, 0, batchRows*obsDim),
		nextArena: make([]float32, 0, batchRows*obsDim),
		actArena:  make([]float32, 0, batchRows*actDim),
	}, nil
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
	p.batch = append(p.batch, parquetRow{
		EpisodeID:        t.EpisodeID,
		Step:             t.Step,
		Observations:     p.obsArena[o : o+p.obs : o+p.obs],
		Actions:          p.actArena[a : a+p.act : a+p.act],
		Rewards:          t.Reward,
		NextObservations: p.nextArena[o : o+p.obs : o+p.obs],
		Terminals:        t.Terminal,
		Timeouts:         t.Timeout,
	})
	p.rows++
	p.tally.add(t.Reward, t.Terminal, t.Timeout)
	if len(p.batch) == cap(p.batch) {
		return p.flush()
	}
	return nil
}

// flush hands the batched rows to the encoder and empties the arenas.
func (p *partWriter) flush() error {
	if len(p.batch) == 0 {
		return nil
	}
	if _, err := p.pw.Write(p.batch); err != nil {
		return fmt.Errorf("encoding %s: %w", p.name, err)
	}
	p.batch = p.batch[:0]
	p.obsArena, p.nextArena, p.actArena = p.obsArena[:0], p.nextArena[:0], p.actArena[:0]
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
	for _, pair := range kv {
		p.pw.SetKeyValueMetadata(pair[0], pair[1])
	}
	p.pw.SetKeyValueMetadata(arrowSchemaKey, arrowSchema(p.obs, p.act))
	if err := p.pw.Close(); err != nil {
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
