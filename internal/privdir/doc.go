// Package privdir makes and checks the folders the library owns
// (~/.config/<tool>, ~/.cache/<tool>, the spool): created 0700, tightened
// to owner-only when found looser, and refused when they are a symbolic
// link or belong to another user, since whoever controls such a folder can
// swap the files we read and write there. A refused folder turns telemetry
// off for the run; the error says why.
package privdir
