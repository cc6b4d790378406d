package instrument

import "github.com/anontel/anontel/internal/mask"

// Command describes one command of the tool's command tree, for the
// masker: its Name and Aliases, its Flags, its sub-Commands and, on the
// root, SingleDash (the tool parses flags like Go's flag package: -name
// and --name are the same long flag, and there are no shorthands).
type Command = mask.Command

// Flag describes one flag of a command: its long Name without dashes, its
// one-letter Shorthand, whether it TakesValue, the values it Allowed to
// pass unmasked (nil: every value masked), whether its value is a comma
// List checked element by element, and whether it is Persistent
// (inherited by sub-commands).
type Flag = mask.Flag
