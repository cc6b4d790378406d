//go:build unix

package privdir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestEnsureRefusesForeignOwner: a folder owned by another user is
// refused and left as it is. It needs root to make such a folder (chown),
// or uses one that exists: / belongs to root.
func TestEnsureRefusesForeignOwner(t *testing.T) {
	var path string
	if os.Geteuid() == 0 {
		path = filepath.Join(t.TempDir(), "pipectl")
		if err := os.Mkdir(path, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, 0o777)
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Skipf("chown: %v", err)
		}
	} else {
		path = "/" // root's
	}
	before, _ := os.Stat(path)
	for name, f := range map[string]func(string) error{"Ensure": Ensure, "Check": Check} {
		err := f(path)
		if !errors.Is(err, ErrUnsafe) {
			t.Fatalf("%s on a foreign folder: %v, want ErrUnsafe", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	if after, _ := os.Stat(path); after.Mode() != before.Mode() {
		t.Fatalf("mode changed from %v to %v", before.Mode(), after.Mode())
	}
}
