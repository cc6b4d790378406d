// Package report answers the maintainers' questions from the invocations
// view (active users and retention, commands, flags, versions, projects,
// `new`, CI and consent) and renders the answers as text, CSV, JSON,
// Markdown, or one self-contained HTML page with server-side SVG charts.
package report
