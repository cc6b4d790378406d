// Package usage holds no code of its own: it is the root of the nested module
// for `usage`, the usage analytics command that loads the collector's file
// export into DuckDB and answers maintainers' questions from it. The command
// is in cmd/usage; see README.md.
package usage
