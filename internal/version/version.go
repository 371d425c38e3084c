// Package version names this build of the toolkit, as recorded in the
// datasets and runs it writes.
package version

// Toolkit is the toolkit's name and version.
const Toolkit = "offrl 0.1.0"
