// Package userfile reads and writes the user-level telemetry.toml of a tool
// (the [telemetry] table: consent choice and user id). Writers take a file
// lock so that concurrent processes never lose each other's writes, edit the
// file surgically so the user's other keys and comments survive, replace it
// atomically, and keep a copy of a corrupt file before healing it.
package userfile
