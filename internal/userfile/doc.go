// Package userfile reads and writes the user-level telemetry.toml of a tool
// (the [telemetry] table: consent choice, user id, notice). Writers make the
// folder private (internal/privdir: a linked or foreign folder is refused
// with ErrUnsafe), take a lock (internal/lockfile) so that concurrent
// processes never lose each other's writes, edit the file surgically so the
// user's other keys and comments survive, replace it atomically, write
// through a symbolic link only to a regular file of ours, and keep a copy of
// a corrupt file before healing it. SetIfAbsent decides "first" among any
// number of concurrent processes.
package userfile
