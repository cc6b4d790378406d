// Command pipectl is a small Kedro-like pipeline tool: it scaffolds
// projects, runs their pipelines over CSV data and inspects their catalog.
// It is the showcase and test bed of the anontel telemetry library.
package main

import "os"

func main() { os.Exit(runWithTelemetry(os.Args[1:], os.Stdout, os.Stderr)) }
