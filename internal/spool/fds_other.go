//go:build !unix

package spool

// ReleaseInherited does nothing here: on Windows a child inherits only the
// handles it is given, and StartUploader gives it none.
func ReleaseInherited() {}
