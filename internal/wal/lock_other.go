//go:build !unix

package wal

import "os"

// lock does nothing where flock is not available: there, one Log per file is the
// caller's duty (see Open).
func lock(*os.File) error { return nil }
