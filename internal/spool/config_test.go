package spool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A marker left in an environment (or copied from ps) cannot turn a command
// into a silent uploader: only the token of an unclaimed spawn of this
// spool does, once.
func TestClaimUpload(t *testing.T) {
	dir := t.TempDir()
	token, err := newToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "PIPECTL_TELEMETRY_UPLOAD" && v != "-" }
	}
	cfg := Config{Tool: "pipectl", Endpoint: "https://t.example.com", SpoolDir: dir}
	for _, v := range []string{"-", "1", "true", strings.Repeat("0", 2*tokenBytes), strings.ToUpper(token) + "x", "../../x"} {
		cfg.LookupEnv = env(v)
		if ClaimUpload(cfg) {
			t.Errorf("ClaimUpload with marker %q = true", v)
		}
	}
	cfg.LookupEnv = env(token)
	if !ClaimUpload(cfg) {
		t.Fatal("the spawn's own token was not accepted")
	}
	if ClaimUpload(cfg) {
		t.Error("a token was accepted twice")
	}
	if _, err := os.Stat(filepath.Join(dir, tokenPrefix+token)); !os.IsNotExist(err) {
		t.Errorf("token file still there: %v", err)
	}
}
