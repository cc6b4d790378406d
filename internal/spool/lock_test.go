package spool

import (
	"testing"

	"github.com/gofrs/flock"
)

func newTestLock(t *testing.T, path string) *flock.Flock {
	t.Helper()
	l := flock.New(path)
	ok, err := l.TryLock()
	if err != nil || !ok {
		t.Fatalf("locking %s: %v %v", path, ok, err)
	}
	return l
}
