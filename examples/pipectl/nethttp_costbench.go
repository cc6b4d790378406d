//go:build costbench_nethttp

package main

// Linked only into the cost benchmark's reference build: a notelemetry
// pipectl that already links net/http, as most real CLIs do, so that the
// telemetry build's size can be compared with it too.
import _ "net/http"
