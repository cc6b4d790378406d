package spool

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// sweepOtherSpools applies the caps (age above all) to the spools of
// endpoints other than this uploader's, which no uploader may ever visit
// again once a tool's endpoint changed. Their files are never sent from
// here. A spool that another uploader holds is left alone.
func sweepOtherSpools(cfg Config, own string, log *slog.Logger) {
	dirs, err := cfg.spoolDirs()
	if err != nil {
		return
	}
	for _, dir := range dirs {
		if dir == own {
			continue
		}
		lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(filePerm))
		if ok, err := lock.TryLock(); err != nil || !ok {
			continue
		}
		// Files only: removing the lock file or the folder would let two
		// processes hold "the" lock on different files.
		if _, err := trimSpool(cfg, dir, time.Now(), log); err != nil {
			log.Debug("spool: other spool not trimmed", "err", err)
		}
		lock.Unlock()
	}
}
