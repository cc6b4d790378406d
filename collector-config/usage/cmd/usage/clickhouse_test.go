package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestClickHouseConfigValidates checks SCALING.md's exporter config with the
// project's collector, when it has been built (make collector).
func TestClickHouseConfigValidates(t *testing.T) {
	bin, _ := filepath.Abs("../../../bin/otelcol-anontel")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no collector here (%s missing; `make collector` builds it): clickhouse-exporter.yaml is not validated", bin)
	}
	config, _ := filepath.Abs("../../clickhouse-exporter.yaml")
	cmd := exec.Command(bin, "validate", "--config", config)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("otelcol-anontel validate --config clickhouse-exporter.yaml: %v\n%s", err, out)
	}
}
