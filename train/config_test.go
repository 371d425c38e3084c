package train

import (
	"path/filepath"
	"testing"
)

// Every configuration file shipped in configs/ loads strictly, validates,
// and names the algorithm of its directory.
func TestShippedConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../configs/*/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("configs: %v, %v", files, err)
	}
	for _, f := range files {
		c := DefaultConfig()
		if err := LoadConfigFile(f, &c); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if want := filepath.Base(filepath.Dir(f)); c.Algo != want {
			t.Errorf("%s: algo %q in directory %s", f, c.Algo, want)
		}
	}
}
