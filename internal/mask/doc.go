// Package mask turns a command line into its masked form: a Masker, built
// once from the tool's command tree, keeps command words, known flag names
// and the values a flag allow-lists, and replaces everything else with
// Placeholder ("*****"). It resolves the command path the way cobra does and
// closes the leaks Kedro's masking had (--help foo, unknown flags,
// --flag=value, -fvalue, everything after --).
//
// It depends on nothing but the standard library, so that a tool built
// with telemetry compiled out can still name its command tree.
package mask
