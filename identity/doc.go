// Package identity merges the identifiers seen across channels into one profile per
// person, and never merges two people. (Full documentation to follow.)
package identity
