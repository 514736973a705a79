//go:build unix

package segment

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps path read-only.
func mapFile(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < snapHeader+snapTrailer || int64(int(size)) != size {
		return readFile(path) // too small to map usefully; decoding will say why
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return &mapping{data: data, unmap: syscall.Munmap}, nil
}
