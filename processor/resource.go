package processor

import (
	"runtime"

	"go.opentelemetry.io/otel/attribute"

	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/anontel/anontel/internal/distro"
)

// NewResource returns the resource a Processor puts on every span unless
// told otherwise (see Config): it names the tool, the anontel
// distribution, the Go runtime, the operating system and the architecture,
// and nothing about the person or the machine. Exactly:
//
//	service.name             service, or "unknown_service" when empty
//	service.version          version (left out when empty)
//	telemetry.distro.name    anontel
//	telemetry.distro.version the anontel version
//	telemetry.sdk.name       opentelemetry
//	telemetry.sdk.language   go
//	process.runtime.name     go
//	process.runtime.version  runtime.Version()
//	os.type                  runtime.GOOS
//	host.arch                runtime.GOARCH in the conventions' words (386 is x86, arm is arm32)
//
// Nothing is read from the environment: not OTEL_RESOURCE_ATTRIBUTES, not
// OTEL_SERVICE_NAME, no detector.
func NewResource(service, version string) *sdkresource.Resource {
	if service == "" {
		service = "unknown_service"
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(service)}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	attrs = append(attrs,
		semconv.TelemetryDistroName(distro.Name),
		semconv.TelemetryDistroVersion(distro.Version),
		semconv.TelemetrySDKName("opentelemetry"),
		semconv.TelemetrySDKLanguageGo,
		semconv.ProcessRuntimeName("go"),
		semconv.ProcessRuntimeVersion(runtime.Version()),
		semconv.OSTypeKey.String(runtime.GOOS),
		semconv.HostArchKey.String(hostArch(runtime.GOARCH)),
	)
	return sdkresource.NewWithAttributes(semconv.SchemaURL, attrs...)
}

// hostArch maps GOARCH to the host.arch values of the conventions.
func hostArch(goarch string) string {
	switch goarch {
	case "386":
		return "x86"
	case "arm":
		return "arm32"
	default:
		return goarch
	}
}
