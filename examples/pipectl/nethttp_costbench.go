//go:build costbench_nethttp

package main

import (
	"net/http"
	"os"
)

// Linked only into the cost benchmark's reference build: a notelemetry
// pipectl that already talks HTTPS, as most real CLIs do (update checks,
// API calls), so that the telemetry build's size can be compared with it
// too. The request is never made in the benchmark; it only has to be
// reachable, or the linker would drop the client and TLS.
func init() {
	if url := os.Getenv("PIPECTL_COSTBENCH_FETCH"); url != "" {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
		}
	}
}
