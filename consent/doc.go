// Package consent answers "may we collect?" for a tool, and says why.
//
// The most restrictive answer wins:
//
//  1. DO_NOT_TRACK or <TOOL>_DISABLE_TELEMETRY present in the environment,
//     whatever its value, or OTEL_SDK_DISABLED=true (OpenTelemetry's own
//     switch, which deployments already set): off. No file is read.
//  2. Any "no" in a file is off, whatever the other file says: the
//     project's .telemetry (YAML, "consent: false", also no/off in any
//     case) at the project root, or the user's choice saved by "telemetry
//     disable" in telemetry.toml ([telemetry] consent = false). A file that
//     is unreadable, malformed or without a boolean consent counts as a
//     "no" (a telemetry.toml without a consent key is no choice). When both
//     say no, the decision names the project. A user folder (the one holding
//     telemetry.toml) that is a symbolic link, not a folder, or another
//     user's is refused, as the user's "no" (see internal/privdir).
//  3. Otherwise the user's "yes" (consent = true saved by "telemetry
//     enable") is explicit consent. A project's "yes" (consent: true|yes|on
//     in .telemetry) turns collection on but stays implicit: a
//     repository's author cannot consent for whoever clones it, so the
//     notice is still owed.
//  4. Otherwise on, implicitly: a notice is owed to the user.
//
// A cloned repository's .telemetry therefore cannot override a user's
// "telemetry disable". Bad input fails closed and quiet: Decide never panics
// and returns no error; the reason is in Decision.Detail. A Gate holds a
// decision for concurrent readers such as a span processor.
package consent
