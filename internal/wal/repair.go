package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Repair makes the log at path openable again after damage, at the cost of the records
// from the first damaged frame on. It first copies every byte it will cut to a side
// file beside path, fsynced, whose name it returns (empty when nothing had to be cut,
// for example when the file was only truncated); then it truncates the log after its
// last valid frame and records that end as acknowledged. A log without damage is left
// unchanged and Repair returns "". A damaged header cannot be repaired: Repair returns
// the error Open reports.
//
// Repair must not run while the log is open; where Open locks the file (see Open),
// Repair fails instead.
func Repair(path string) (saved string, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("wal: repair: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		return "", inUse(path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wal: repair %s: %w", path, cerr)
		}
	}()
	st, err := inspect(f, path)
	if err != nil {
		return "", err
	}
	if st.damage == nil {
		return "", nil
	}
	if !errors.Is(st.damage, ErrCorrupt) {
		return "", st.damage // an I/O error, not damage: cut nothing
	}
	if st.end < st.size {
		saved, err = saveCut(f, path, st.end, st.size)
		if err != nil {
			return "", err
		}
		if err := f.Truncate(st.end); err != nil {
			return saved, fmt.Errorf("wal: repair %s: truncate at %d: %w", path, st.end, err)
		}
	}
	if st.version == version {
		var a [12]byte
		putAck(a[:], st.end)
		if _, err := f.WriteAt(a[:], ackOffset); err != nil {
			return saved, fmt.Errorf("wal: repair %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return saved, fmt.Errorf("wal: repair %s: %w", path, err)
	}
	return saved, nil
}

// saveCut copies bytes [from, to) of f to a new side file named after path and the
// offset, and makes it durable.
func saveCut(f *os.File, path string, from, to int64) (string, error) {
	name := fmt.Sprintf("%s.cut-%d", path, from)
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s.cut-%d.%d", path, from, i)
	}
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("wal: repair %s: save cut bytes: %w", path, err)
	}
	_, err = io.Copy(out, io.NewSectionReader(f, from, to-from))
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(name))
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("wal: repair %s: save cut bytes to %s: %w", path, name, err)
	}
	return name, nil
}
