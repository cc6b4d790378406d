// Package distro names the anontel distribution in what it sends: the
// telemetry.distro.* resource attributes and the instrumentation scope.
// It is the one home of the library's version.
package distro

// Name is sent as telemetry.distro.name.
const Name = "anontel"

// Version is the version of the anontel library, sent as
// telemetry.distro.version.
const Version = "0.1.0"
