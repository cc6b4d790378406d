// Package toolenv names a tool's environment variables. Every package takes
// the names from here, so that they cannot drift apart.
package toolenv
