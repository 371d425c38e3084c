// Package models embeds the seven Gymnasium v4 MuJoCo model files (MJCF) and
// their NOTICE, so that code and tests can load them without touching the
// file system. The files are byte-for-byte copies of Gymnasium's assets; see
// NOTICE for their origin and licence.
package models

import "embed"

// FS holds the model files, named "<model>.xml" (for example "hopper.xml"),
// and NOTICE.
//
//go:embed *.xml NOTICE
var FS embed.FS
