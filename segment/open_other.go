//go:build !unix

package segment

// mapFile reads path into memory where memory mapping is not available.
func mapFile(path string) (*mapping, error) { return readFile(path) }
