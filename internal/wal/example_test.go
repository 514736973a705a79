package wal_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clientele-go/clientele/internal/wal"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "wal")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.log")

	l, err := wal.Open(path, nil) // SyncAlways: Append returns once the batch is durable
	if err != nil {
		panic(err)
	}
	l.Append([]byte("link a b"), []byte("link b c"))
	l.Close()

	l, _ = wal.Open(path, nil) // reopening recovers the same records
	defer l.Close()
	for rec, err := range l.Records() {
		if err != nil {
			panic(err)
		}
		fmt.Println(string(rec))
	}
	// Output:
	// link a b
	// link b c
}
