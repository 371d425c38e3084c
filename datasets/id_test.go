package datasets

import (
	"errors"
	"testing"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		id      string
		task    string
		kind    string
		version int
	}{
		{"hopper-medium-v0", "hopper", "medium", 0},
		{"halfcheetah-expert-v2", "halfcheetah", "expert", 2},
		{"walker2d-random-v10", "walker2d", "random", 10},
		{"hopper-medium-replay-v1", "hopper", "medium-replay", 1},
		{"hopper-medium-expert-v0", "hopper", "medium-expert", 0},
		{"hopper-full-replay-v3", "hopper", "full-replay", 3},
		{"maze2d-umaze-expert-v0", "maze2d-umaze", "expert", 0},
		{"maze2d-large-medium-replay-v1", "maze2d-large", "medium-replay", 1},
		{"pendulum-random-v123456789", "pendulum", "random", 123456789},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			task, kind, version, err := ParseID(tt.id)
			if err != nil {
				t.Fatalf("ParseID(%q) error %v", tt.id, err)
			}
			if task != tt.task || kind != tt.kind || version != tt.version {
				t.Errorf("ParseID(%q) = %q, %q, %d, want %q, %q, %d",
					tt.id, task, kind, version, tt.task, tt.kind, tt.version)
			}
			if got := FormatID(task, kind, version); got != tt.id {
				t.Errorf("FormatID(%q, %q, %d) = %q, want %q", task, kind, version, got, tt.id)
			}
		})
	}
}

func TestParseID_Invalid(t *testing.T) {
	tests := []struct{ name, id string }{
		{"empty", ""},
		{"no version", "hopper-medium"},
		{"empty version", "hopper-medium-v"},
		{"leading zero", "hopper-medium-v01"},
		{"negative version", "hopper-medium-v-1"},
		{"trailing junk", "hopper-medium-v1x"},
		{"version too long", "hopper-medium-v1234567890"},
		{"unknown kind", "hopper-good-v0"},
		{"kind only", "medium-v0"},
		{"upper case", "Hopper-medium-v0"},
		{"double dash", "maze2d--umaze-expert-v0"},
		{"leading dash", "-hopper-medium-v0"},
		{"underscore", "maze_2d-expert-v0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, kind, version, err := ParseID(tt.id)
			if !errors.Is(err, ErrInvalidID) {
				t.Errorf("ParseID(%q) = %q, %q, %d, %v, want an error wrapping ErrInvalidID",
					tt.id, task, kind, version, err)
			}
		})
	}
}

// FuzzParseID checks that ParseID never panics and that every ID it
// accepts is rebuilt exactly by FormatID.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"hopper-medium-v0", "maze2d-umaze-expert-v12", "a-random-v0", "x-v", "-v0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		task, kind, version, err := ParseID(id)
		if err != nil {
			return
		}
		if got := FormatID(task, kind, version); got != id {
			t.Errorf("FormatID(ParseID(%q)) = %q", id, got)
		}
	})
}

// A task that ends like a kind ("maze2d-medium" + "expert") reads two
// ways; metadata whose dataset_kind names one of the readings is valid.
func TestAmbiguousIDFollowsRecordedKind(t *testing.T) {
	for _, tt := range []struct {
		id, kind string
		want     bool
	}{
		{"maze2d-medium-expert-v0", "expert", true},
		{"maze2d-medium-expert-v0", "medium-expert", true},
		{"maze2d-medium-expert-v0", "random", false},
		{"hopper-medium-v2", "medium", true},
		{"hopper-medium-v2", "expert", false},
		{"-expert-v0", "expert", false},
	} {
		if got := hasKind(tt.id, tt.kind); got != tt.want {
			t.Errorf("hasKind(%q, %q) = %v, want %v", tt.id, tt.kind, got, tt.want)
		}
	}
}
