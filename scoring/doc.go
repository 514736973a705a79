// Package scoring gives every profile the numbers that decide where marketing money
// goes: who will buy again, what each customer is worth, and who looks like the best
// customers. It is the Go peer of Python's lifetimes and R's BTYD and CLVTools, and
// reproduces the published results they reproduce.
package scoring
