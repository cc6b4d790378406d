// Package store is the usage database on DuckDB: the schema and its
// documented invocations view, the span contract check that turns a span
// into an invocation row (or a counted reason to skip it), and the
// incremental loader of the collector's file export.
package store
