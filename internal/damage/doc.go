// Package damage holds the damage suite (damage_test.go): every durable format of the
// SDK (the identity log, the referral ledger, segment snapshots, funnel, cohort, trend and
// journey partials) written with acknowledged content, then damaged many ways at random
// (single-bit flips, truncations, zeroed ranges, removed, repeated and swapped frames or
// chunks). Opening must fail with the package's corruption error or yield exactly the
// acknowledged state; never a strict subset without an error. RELIABILITY.md at the
// repository root reports the probes and their counts. The package has no code.
package damage
