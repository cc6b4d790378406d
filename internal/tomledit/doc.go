// Package tomledit edits TOML text surgically: it sets one key in one table
// and leaves every other byte of the document (comments, order, spacing,
// line endings) exactly as it was. Whole-document re-encoding would lose the
// user's comments and layout, which is why this package exists.
package tomledit
