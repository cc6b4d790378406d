// Command usage loads the OpenTelemetry Collector's file export of anontel
// spans into a DuckDB database and reports what a tool's maintainers want to
// know: active users, commands, flags, versions, projects, `new`, CI and
// consent. See collector-config/usage/README.md.
package main
