package pgtest

import (
	"os"
	"testing"
)

// Main is the TestMain of a package whose tests start writer processes (see Start):
// when the environment variable env is set, the binary is such a process, and exits
// with what writer returns for the variable's value; otherwise it runs the tests.
func Main(m *testing.M, env string, writer func(arg string) int) {
	if w := os.Getenv(env); w != "" {
		os.Exit(writer(w))
	}
	os.Exit(m.Run())
}

// StartWriters starts writers writer processes on schema, process w on its Part of a
// workload of n, told through the environment variable env (see Main).
func StartWriters(t testing.TB, env, schema string, writers, n int) []*Child {
	t.Helper()
	var cs []*Child
	for w := range writers {
		cs = append(cs, Start(t, Part{Schema: schema, W: w, Writers: writers, N: n}.Env(env)))
	}
	return cs
}
