package train

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// csvLog appends rows to a CSV file and can cut it back to a byte length,
// so that a resumed run rewrites exactly the rows written after its
// checkpoint.
type csvLog struct {
	f      *os.File
	header []string
}

// openCSV opens path for appending, writing the header if the file is new.
// With truncateTo ≥ 0 the file is first cut to that many bytes.
func openCSV(path string, header []string, truncateTo int64) (*csvLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if truncateTo >= 0 {
		if err := f.Truncate(truncateTo); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncating %s to %d bytes: %w", path, truncateTo, err)
		}
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	l := &csvLog{f: f, header: header}
	if end == 0 {
		if err := l.write(header); err != nil {
			f.Close()
			return nil, err
		}
	}
	return l, nil
}

func (l *csvLog) write(row []string) error {
	w := csv.NewWriter(l.f)
	if err := w.Write(row); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// size returns the bytes written so far, after syncing them.
func (l *csvLog) size() (int64, error) {
	if err := l.f.Sync(); err != nil {
		return 0, err
	}
	info, err := l.f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

func (l *csvLog) close() error { return l.f.Close() }

// formatFloat writes a metric with the shortest representation that reads
// back to the same float64, so equal runs give equal bytes; NaN (no value
// at this row) is an empty field.
func formatFloat(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
