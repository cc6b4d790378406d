// Package consent answers "may we collect?" for a tool, and says why.
//
// The rules, first match wins:
//
//  1. DO_NOT_TRACK or <TOOL>_DISABLE_TELEMETRY present in the environment,
//     whatever its value, or OTEL_SDK_DISABLED=true (OpenTelemetry's own
//     switch, which deployments already set): off. No file is read.
//  2. The project's .telemetry file (YAML, "consent: true|false", also
//     yes/no/on/off in any case) at the project root: that value. A file
//     that is unreadable, not YAML, or without a boolean consent: off.
//  3. The user's choice saved by "telemetry enable|disable" in
//     telemetry.toml ([telemetry] consent = true|false): that value. A
//     corrupt file or a non-boolean value: off.
//  4. Otherwise on, implicitly: a notice is owed to the user.
//
// Bad input fails closed and quiet: Decide never panics and returns no
// error; the reason is in Decision.Detail. A Gate holds a decision for
// concurrent readers such as a span processor.
package consent
