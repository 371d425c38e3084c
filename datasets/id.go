package datasets

import (
	"fmt"
	"strconv"
	"strings"
)

// kinds lists the dataset kinds of specs/datasets.md §5.3, longest first
// so that ParseID prefers "medium-replay" to "replay"-less readings.
var kinds = [...]string{
	"medium-replay", "medium-expert", "full-replay",
	"random", "medium", "expert",
}

// ParseID splits a dataset ID of the form "<task>-<kind>-v<N>" into its
// parts. The task may itself contain '-' ("maze2d-umaze-expert-v0" has task
// "maze2d-umaze"); when both readings are possible the longer kind wins, so
// "hopper-medium-expert-v0" is task "hopper", kind "medium-expert".
//
// The task is lower-case ASCII letters and digits in '-'-separated groups,
// the kind is one of random, medium, expert, medium-replay, medium-expert
// and full-replay, and N is a decimal version without leading zeros. Any
// other ID is an error wrapping [ErrInvalidID].
func ParseID(id string) (task, kind string, version int, err error) {
	fail := func(why string) (string, string, int, error) {
		return "", "", 0, fmt.Errorf("%w: %q: %s", ErrInvalidID, id, why)
	}

	cut := strings.LastIndex(id, "-v")
	if cut < 0 {
		return fail(`missing "-v<N>" version suffix`)
	}
	digits := id[cut+2:]
	if !isVersion(digits) {
		return fail(fmt.Sprintf("version %q is not a decimal number without leading zeros", digits))
	}
	version, err = strconv.Atoi(digits)
	if err != nil {
		return fail(fmt.Sprintf("version %q out of range", digits))
	}

	rest := id[:cut]
	for _, k := range kinds {
		if t, ok := strings.CutSuffix(rest, "-"+k); ok {
			if !isTask(t) {
				return fail(fmt.Sprintf("task %q is not lower-case [a-z0-9] groups joined by '-'",
					t))
			}
			return t, k, version, nil
		}
	}
	return fail(fmt.Sprintf("no known kind (%s) before the version", strings.Join(kinds[:], ", ")))
}

// hasKind reports whether id reads as "<task>-<kind>-v<N>" with this
// kind and a valid task.
func hasKind(id, kind string) bool {
	cut := strings.LastIndex(id, "-v")
	if cut < 0 || !isVersion(id[cut+2:]) {
		return false
	}
	t, ok := strings.CutSuffix(id[:cut], "-"+kind)
	return ok && isTask(t)
}

// FormatID joins task, kind and version into "<task>-<kind>-v<N>". It does
// not validate its arguments; [ParseID] on the result does.
func FormatID(task, kind string, version int) string {
	return task + "-" + kind + "-v" + strconv.Itoa(version)
}

// isVersion reports whether s is a non-empty run of at most nine decimal
// digits with no leading zero (except "0" itself).
func isVersion(s string) bool {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isTask reports whether s is one or more groups of [a-z0-9] joined by
// single '-' characters.
func isTask(s string) bool {
	if s == "" {
		return false
	}
	for group := range strings.SplitSeq(s, "-") {
		if group == "" {
			return false
		}
		for i := 0; i < len(group); i++ {
			c := group[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
