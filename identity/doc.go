// Package identity provides the two anonymous ids telemetry may carry: a
// random user id kept in the user's telemetry.toml, and a project id kept in
// the project file and sent only as a salted SHA-512 hash.
//
// Both ids are created on first use, so call UserID and Project.ID only
// when consent is on: with consent off nothing must be
// created. Both fail with an error rather than damage a file; the caller
// then sends no id.
//
// A project file is read at most once per invocation: ProjectFile.Find
// returns the project with the file as it read it, and Project.ID reuses
// that. At most 64 KiB of it is read; a bigger file is left alone.
package identity
