// Command costbench measures what a command pays for telemetry, side by
// side: it builds pipectl twice, with telemetry and with -tags
// notelemetry, runs `pipectl info` alternately with each build in every
// consent and collector state, and prints one table of medians, spreads
// and differences, with the binary sizes, the in-process benchmarks and
// the machine. `make bench` runs it.
//
//	go run ./internal/costbench -runs 200
//
// Run it on a quiet machine: the figures are wall times.
package main
