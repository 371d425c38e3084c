package datasets

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeResumably writes the rows of d from row start into a resumable
// writer, ending a part whenever it is full, and recording the next row
// as the caller's state. With stopAfter > 0 it aborts once that many
// parts are recorded, leaving a few rows of the next part half-written.
func writeResumably(t *testing.T, path string, d *Dataset, resume *Progress,
	stopAfter int) {
	t.Helper()
	start := 0
	if resume != nil {
		if err := json.Unmarshal(resume.State, &start); err != nil {
			t.Fatal(err)
		}
	}
	w, err := NewWriter(path, d.Meta, WriterOptions{PartRows: 4, Resumable: true,
		Resume: resume})
	if err != nil {
		t.Fatal(err)
	}
	for i := start; i < d.Len(); i++ {
		if err := w.Append(d.transition(i)); err != nil {
			t.Fatal(err)
		}
		if i+1 == d.Len() || !w.PartFull() {
			continue
		}
		state, _ := json.Marshal(i + 1)
		if err := w.EndPart(state); err != nil {
			t.Fatal(err)
		}
		if stopAfter > 0 && w.recorded == stopAfter {
			if err := w.Append(d.transition(i + 1)); err != nil {
				t.Fatal(err)
			}
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A resumable writer stopped after a part and resumed from its progress
// gives the same bytes as one that was never stopped.
func TestWriter_ResumeIsByteIdentical(t *testing.T) {
	d := makeDataset(t, []int{3, 2, 4, 1, 2, 5, 1}, 2, 1, 8)
	dir := t.TempDir()
	want, got := filepath.Join(dir, "want"), filepath.Join(dir, "got")
	writeResumably(t, want, d, nil, 0)

	for stops := 1; stops <= 2; stops++ {
		writeResumably(t, got, d, mustProgress(t, got, stops-1), stops)
		if _, err := os.Stat(got); err == nil {
			t.Fatal("an aborted resumable writer published its dataset")
		}
		p := mustProgress(t, got, stops)
		if p.PartsDone() != stops {
			t.Fatalf("progress after stop %d records %d parts", stops, p.PartsDone())
		}
	}
	writeResumably(t, got, d, mustProgress(t, got, 2), 0)
	for _, name := range dirEntries(t, want) {
		a, _ := os.ReadFile(filepath.Join(want, name))
		b, err := os.ReadFile(filepath.Join(got, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s of the resumed dataset differs from the uninterrupted one (%v)", name, err)
		}
	}
	if len(dirEntries(t, got)) != len(dirEntries(t, want)) {
		t.Errorf("resumed dataset holds %v, want %v", dirEntries(t, got), dirEntries(t, want))
	}
	if _, err := os.Stat(PartialDir(got)); err == nil {
		t.Error("the partial directory is left after Close")
	}
}

// mustProgress reads the progress of path, nil when n is 0.
func mustProgress(t *testing.T, path string, n int) *Progress {
	t.Helper()
	if n == 0 {
		return nil
	}
	p, err := ReadProgress(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Resuming refuses other metadata or options, and finished parts whose
// bytes changed; a fresh start clears a stale partial directory but never
// one holding files of its own.
func TestWriter_ResumeRefusals(t *testing.T) {
	d := makeDataset(t, []int{3, 2, 4, 1, 2}, 2, 1, 8)
	path := filepath.Join(t.TempDir(), "d")
	writeResumably(t, path, d, nil, 1)
	p := mustProgress(t, path, 1)

	meta := d.Meta
	meta.Command = "go test again"
	_, err := NewWriter(path, meta, WriterOptions{PartRows: 4, Resumable: true, Resume: p})
	if !errors.Is(err, ErrResumeMismatch) || !strings.Contains(err.Error(), "command") {
		t.Errorf("resuming with another command: %v, want ErrResumeMismatch naming command", err)
	}
	_, err = NewWriter(path, d.Meta, WriterOptions{PartRows: 5, Resumable: true, Resume: p})
	if !errors.Is(err, ErrResumeMismatch) || !strings.Contains(err.Error(), "part_rows") {
		t.Errorf("resuming with other part rows: %v, want ErrResumeMismatch naming part_rows", err)
	}

	part := filepath.Join(PartialDir(path), "part-00000.parquet")
	b, _ := os.ReadFile(part)
	b[10] ^= 1
	os.WriteFile(part, b, 0o644)
	_, err = NewWriter(path, d.Meta, WriterOptions{PartRows: 4, Resumable: true, Resume: p})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("resuming from a changed part: %v, want an error naming the sha256", err)
	}

	// A fresh start replaces the stale partial directory...
	w, err := NewWriter(path, d.Meta, WriterOptions{PartRows: 4, Resumable: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PartialDir(path)); err == nil {
		t.Error("aborting a writer with no finished part left its partial directory")
	}
	// ...but not one holding someone else's file.
	os.Mkdir(PartialDir(path), 0o755)
	os.WriteFile(filepath.Join(PartialDir(path), "notes.txt"), []byte("mine"), 0o644)
	_, err = NewWriter(path, d.Meta, WriterOptions{PartRows: 4, Resumable: true})
	if !errors.Is(err, ErrNotDataset) {
		t.Errorf("starting over a partial directory with notes.txt: %v, want ErrNotDataset", err)
	}
}

// FuzzParseProgress feeds arbitrary bytes to the progress.json parser. The
// property: it never panics, and what it accepts encodes and parses back
// to the same parts.
func FuzzParseProgress(f *testing.F) {
	d := makeDataset(f, []int{3, 2, 4, 1, 2}, 2, 1, 8)
	path := filepath.Join(f.TempDir(), "d")
	w, err := NewWriter(path, d.Meta, WriterOptions{PartRows: 4, Resumable: true})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 5 {
		if err := w.Append(d.transition(i)); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.EndPart(json.RawMessage(`{"next":5}`)); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(PartialDir(path), progressName))
	if err != nil {
		f.Fatal(err)
	}
	w.Abort()
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"schema_version":"1","parts":[{"path":"../x.parquet"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProgress(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted progress does not encode: %v", err)
		}
		q, err := parseProgress(again)
		if err != nil || len(q.Parts) != len(p.Parts) {
			t.Fatalf("accepted progress does not round-trip: %v", err)
		}
	})
}
