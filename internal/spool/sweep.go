package spool

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/anontel/anontel/internal/lockfile"
	"github.com/anontel/anontel/internal/privdir"
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
		if privdir.Check(dir) != nil {
			continue
		}
		held, err := lockfile.TryLockOwn(filepath.Join(dir, lockName))
		if err != nil {
			continue
		}
		// Files only: removing the lock file or the folder would let two
		// processes hold "the" lock on different files.
		if _, _, err := trimSpool(cfg, dir, time.Now(), log); err != nil {
			log.Debug("spool: other spool not trimmed", "err", err)
		}
		held.Unlock()
	}
}
