package wal

import "testing"

// FailSyncs is failSyncs for the tests of package wal_test.
func FailSyncs(t *testing.T, n int) { failSyncs(t, n) }

// ErrInjected is the error FailSyncs's fsyncs fail with.
var ErrInjected = errInjected
