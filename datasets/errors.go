package datasets

import (
	"errors"
	"fmt"
)

// Sentinel errors that callers branch on with [errors.Is].
var (
	// ErrSchema reports a file whose columns, types or list encodings do
	// not match the dataset layout, or whose metadata cannot be decoded.
	ErrSchema = errors.New("datasets: schema mismatch")

	// ErrCorrupt reports bytes that cannot be a valid dataset: a bad magic
	// number, a truncated file, a page checksum or SHA-256 mismatch, or a
	// page that does not decode.
	ErrCorrupt = errors.New("datasets: corrupt file")

	// ErrExists reports a destination that already exists when
	// [WriterOptions.Overwrite] is false.
	ErrExists = errors.New("datasets: destination exists")

	// ErrClosed reports a call on a [Writer] after Close or Abort.
	ErrClosed = errors.New("datasets: writer closed")

	// ErrEmpty reports a dataset with no transitions.
	ErrEmpty = errors.New("datasets: no transitions")

	// ErrInvalidID reports a dataset ID that does not follow
	// "<task>-<kind>-v<N>".
	ErrInvalidID = errors.New("datasets: invalid dataset ID")
)

// ValidationError reports a value in a dataset that breaks the layout or
// contradicts the metadata.
//
// Row is the 0-based row within File. Row is -1 when the problem concerns a
// metadata key rather than one row; Column then holds the key.
type ValidationError struct {
	File   string // file name, relative to the dataset directory when there is one
	Column string // column name, or metadata key when Row is -1
	Row    int64  // 0-based row within File, or -1
	Reason string // what is wrong and what was expected
}

// Error formats the fault as "file: column "x" row n: reason".
// The file prefix is left out when File is empty (a Dataset in memory).
func (e *ValidationError) Error() string {
	prefix := ""
	if e.File != "" {
		prefix = e.File + ": "
	}
	if e.Row < 0 {
		return fmt.Sprintf("%smetadata %q: %s", prefix, e.Column, e.Reason)
	}
	return fmt.Sprintf("%scolumn %q row %d: %s", prefix, e.Column, e.Row, e.Reason)
}

// kindError gives an error the identity of a sentinel for [errors.Is]
// without repeating the sentinel's text in the message, so messages read
// as a path to the fault.
type kindError struct{ kind, err error }

// Error returns the message of the wrapped error.
func (e *kindError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error and the sentinel.
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

// errorf formats an error that also matches the sentinel kind.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

// mark gives err the identity of the sentinel kind, keeping its message.
func mark(kind, err error) error { return &kindError{kind: kind, err: err} }
