// Package atomicfile replaces files so that readers see either the old
// content or the new, never a torn write, and a crash never leaves a user's
// file half-written.
package atomicfile
