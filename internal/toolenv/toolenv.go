package toolenv

import "strings"

// Prefix returns <TOOL>: tool in upper case, every character other than an
// ASCII letter or digit replaced by '_' ("my-tool" -> "MY_TOOL").
func Prefix(tool string) string {
	b := []byte(strings.ToUpper(tool))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Disable is the tool's own opt-out, <TOOL>_DISABLE_TELEMETRY.
func Disable(tool string) string { return Prefix(tool) + "_DISABLE_TELEMETRY" }

// Endpoint overrides the collector URL, <TOOL>_TELEMETRY_ENDPOINT.
func Endpoint(tool string) string { return Prefix(tool) + "_TELEMETRY_ENDPOINT" }

// Debug prints what would be sent instead of sending, <TOOL>_TELEMETRY_DEBUG.
func Debug(tool string) string { return Prefix(tool) + "_TELEMETRY_DEBUG" }

// Upload marks the detached uploader process, <TOOL>_TELEMETRY_UPLOAD.
func Upload(tool string) string { return Prefix(tool) + "_TELEMETRY_UPLOAD" }

// UploadInterval sets the least time between two uploader starts, a Go
// duration ("0" starts one after every command, for tests and demos),
// <TOOL>_TELEMETRY_UPLOAD_INTERVAL.
func UploadInterval(tool string) string { return Prefix(tool) + "_TELEMETRY_UPLOAD_INTERVAL" }

// SDKDisabled is OpenTelemetry's standard switch, which deployments
// already set: "true" (any case) turns telemetry off like DO_NOT_TRACK.
const SDKDisabled = "OTEL_SDK_DISABLED"

// OptOut returns the variable that opts this process out, if one does:
// DO_NOT_TRACK or <TOOL>_DISABLE_TELEMETRY set to anything (empty, "0" and
// "false" included: setting it is the choice), or OTEL_SDK_DISABLED set to
// "true" as the OpenTelemetry specification defines it.
func OptOut(tool string, lookup func(string) (string, bool)) (name string, ok bool) {
	for _, name := range []string{"DO_NOT_TRACK", Disable(tool)} {
		if _, ok := lookup(name); ok {
			return name, true
		}
	}
	if v, ok := lookup(SDKDisabled); ok && strings.EqualFold(strings.TrimSpace(v), "true") {
		return SDKDisabled, true
	}
	return "", false
}
