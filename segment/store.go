package segment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/clientele-go/clientele/internal/tmpfile"
	"github.com/clientele-go/clientele/internal/wal"
)

// Store keeps named byte blobs: the index's snapshots. A host may implement it over
// its own storage (a database table, an object store) and test the implementation with
// the segment/storetest suite.
//
// Names are 1 to 128 bytes of ASCII letters, digits, '.', '_' and '-', not starting
// with '.'; other names fail with ErrInvalid. Implementations must be safe for
// concurrent use and guarantee:
//   - Put replaces the blob atomically: a Get, even after a crash, returns the old
//     bytes or the new, never a mix; when Put returns nil the new bytes are durable.
//     Put does not keep data, which the caller may reuse.
//   - Get returns the bytes of the last successful Put, in a slice the caller owns,
//     or an error wrapping ErrNotFound.
//   - Delete removes a blob, durably on return; deleting a missing blob wraps
//     ErrNotFound.
//   - List returns the names of all blobs, sorted.
type Store interface {
	Put(name string, data []byte) error
	Get(name string) ([]byte, error)
	Delete(name string) error
	List() ([]string, error)
}

var (
	_ Store = (*MemStore)(nil)
	_ Store = (*FileStore)(nil)
)

// CheckName returns nil if name is a valid Store blob name, and an error wrapping
// ErrInvalid otherwise. Store implementations call it first.
func CheckName(name string) error {
	ok := len(name) >= 1 && len(name) <= 128 && name[0] != '.'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w: store name %q: want 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'", ErrInvalid, name)
	}
	return nil
}

// MemStore is a Store in memory, for tests and for hosts that persist elsewhere. Its
// zero value is an empty store ready to use. It is safe for concurrent use; nothing
// survives the process.
type MemStore struct {
	mu    sync.RWMutex
	blobs map[string][]byte
}

// Put stores a copy of data under name.
func (s *MemStore) Put(name string, data []byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	c := slices.Clone(data)
	if c == nil {
		c = []byte{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blobs == nil {
		s.blobs = map[string][]byte{}
	}
	s.blobs[name] = c
	return nil
}

// Get returns a copy of the blob.
func (s *MemStore) Get(name string) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.blobs[name]
	if !ok {
		return nil, fmt.Errorf("%w: store get %q", ErrNotFound, name)
	}
	return slices.Clone(b), nil
}

// Delete removes the blob.
func (s *MemStore) Delete(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[name]; !ok {
		return fmt.Errorf("%w: store delete %q", ErrNotFound, name)
	}
	delete(s.blobs, name)
	return nil
}

// List returns the blob names, sorted.
func (s *MemStore) List() ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.blobs))
	for n := range s.blobs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// FileStore is a Store of files in one directory: the blob named n is the file
// dir/n, so a snapshot saved with SaveTo can be mapped with Open. Put writes a
// temporary file, fsyncs it, renames it over the old one and fsyncs the directory, so a
// crash leaves the old or the new blob whole. It is safe for concurrent use by one
// process; processes that share a directory must run in one pid namespace (not in two
// containers sharing a volume, nor on two hosts sharing it over NFS), as the sweep
// below tells a crash's file from a live writer's by its process id. A temporary file a crash left (its name starts with '.', which List passes
// over) is removed by the next OpenFileStore of the directory, once the process that
// wrote it no longer runs.
//
// Earlier versions of the SDK named that file .<blob>.tmp-<random digits>, without the
// process id, and OpenFileStore leaves such a file alone: FileStore takes no lock on
// the directory, so one may be the Put under way of a process of such a version still
// running there, whose rename would then fail. This version never writes that name, so
// once no process of an earlier version uses the directory, every such file is a
// crash's leftover, as large as its blob, and may be deleted. On Unix they are listed by
//
//	find DIR -maxdepth 1 -type f -regex '.*/\.[A-Za-z0-9._-]*\.tmp-[0-9][0-9]*'
//
// Make one with OpenFileStore. The zero FileStore, and a nil one, have no directory:
// rather than write into the process's working directory, their methods fail with
// ErrInvalid saying so, and Path returns "".
type FileStore struct {
	dir  string
	opts FileOptions
}

// FileOptions tune OpenFileStore. The zero value (or nil) is the safe default.
type FileOptions struct {
	// NoSync skips the fsyncs of Put and Delete: a crash may then lose blobs written
	// since the operating system last flushed, or leave an old one in place (never a
	// mix of two). For bulk loads that can be redone, and tests.
	NoSync bool
}

// OpenFileStore returns the FileStore in the directory dir, creating the directory if
// needed.
func OpenFileStore(dir string, opts *FileOptions) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errorf("open file store: %w", err)
	}
	// A crash between Put's temporary file and its rename left the file, as large as
	// the blob; no write of a process that no longer runs can be under way.
	if _, err := tmpfile.Sweep(dir, isTmpStem); err != nil {
		return nil, errorf("open file store: %w", err)
	}
	s := &FileStore{dir: dir}
	if opts != nil {
		s.opts = *opts
	}
	return s, nil
}

// Path returns the file that holds the blob called name.
func (s *FileStore) Path(name string) string {
	if s == nil || s.dir == "" {
		return "" // no directory: the zero FileStore holds no file
	}
	return filepath.Join(s.dir, name)
}

// Put writes the blob durably and atomically.
func (s *FileStore) Put(name string, data []byte) (err error) {
	if s == nil || s.dir == "" {
		return errZeroFileStore
	}
	if err := CheckName(name); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, tmpfile.Name(tmpStem(name))), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return errorf("store put %q: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return errorf("store put %q: %w", name, err)
	}
	if !s.opts.NoSync {
		if err := f.Sync(); err != nil {
			return errorf("store put %q: sync: %w", name, err)
		}
	}
	if err := f.Close(); err != nil {
		return errorf("store put %q: %w", name, err)
	}
	if err := os.Rename(f.Name(), s.Path(name)); err != nil {
		return errorf("store put %q: %w", name, err)
	}
	return s.syncDir(name)
}

// tmpStem is the stem of the names of Put's temporary files for the blob name: a
// leading dot, so that List passes them over.
func tmpStem(name string) string { return "." + name + ".tmp-" }

// isTmpStem reports whether stem is tmpStem of a blob's name.
func isTmpStem(stem string) bool {
	name, dot := strings.CutPrefix(stem, ".")
	name, tmp := strings.CutSuffix(name, ".tmp-")
	return dot && tmp && CheckName(name) == nil
}

func (s *FileStore) syncDir(name string) error {
	if s.opts.NoSync {
		return nil
	}
	if err := wal.SyncDir(s.dir); err != nil {
		return errorf("store %q: %w", name, err)
	}
	return nil
}

// Get reads the blob.
func (s *FileStore) Get(name string) ([]byte, error) {
	if s == nil || s.dir == "" {
		return nil, errZeroFileStore
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: store get %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, errorf("store get %q: %w", name, err)
	}
	return b, nil
}

// Delete removes the blob's file durably.
func (s *FileStore) Delete(name string) error {
	if s == nil || s.dir == "" {
		return errZeroFileStore
	}
	if err := CheckName(name); err != nil {
		return err
	}
	err := os.Remove(s.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: store delete %q", ErrNotFound, name)
	}
	if err != nil {
		return errorf("store delete %q: %w", name, err)
	}
	return s.syncDir(name)
}

// List returns the names of the blobs, sorted.
func (s *FileStore) List() ([]string, error) {
	if s == nil || s.dir == "" {
		return nil, errZeroFileStore
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, errorf("store list: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && CheckName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}
