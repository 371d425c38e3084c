package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	cache := t.TempDir()
	for _, name := range []string{"pendulum-medium-v0", "pendulum-medium-v2", "pendulum-expert-v1"} {
		os.MkdirAll(filepath.Join(cache, name), 0o755)
	}
	file := filepath.Join(t.TempDir(), "mine.parquet")
	os.WriteFile(file, []byte("x"), 0o644)

	tests := []struct {
		ref, want string
		err       error
		text      string
	}{
		{file, file, nil, ""},
		{"pendulum-medium-v0", filepath.Join(cache, "pendulum-medium-v0"), nil, ""},
		{"pendulum-medium", filepath.Join(cache, "pendulum-medium-v2"), nil, ""},
		{"pendulum-random-v0", filepath.Join(cache, "pendulum-random-v0"), ErrNotCached, ""},
		{"pendulum-random", filepath.Join(cache, "pendulum-random-v0"), ErrNotCached, ""},
		{"pendulum-foo-v0", "", nil, `"pendulum-foo-v0"`},
		{"missing.parquet", "", nil, "missing.parquet"},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.ref, cache)
		switch {
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("Resolve(%q) error %v, want %v", tt.ref, err, tt.err)
		case tt.err == nil && tt.text == "" && err != nil:
			t.Errorf("Resolve(%q) error %v", tt.ref, err)
		case tt.text != "" && (err == nil || !strings.Contains(err.Error(), tt.text) ||
			strings.Contains(err.Error(), "-v0-v0")):
			t.Errorf("Resolve(%q) error %v, want one quoting %s as given", tt.ref, err, tt.text)
		case tt.want != "" && got != tt.want:
			t.Errorf("Resolve(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}
