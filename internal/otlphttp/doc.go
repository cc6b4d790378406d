// Package otlphttp is what the direct exporter and the detached uploader
// share to reach a collector: the endpoint rule, one bounded POST of an
// OTLP/HTTP protobuf body and what its answer means, and the HTTP client.
//
// # Endpoint
//
// The tool author sets the collector's base URL; a user or a team routes
// the tool's telemetry to their own collector with
// <TOOL>_TELEMETRY_ENDPOINT. Spans are POSTed to <base>/v1/traces. The
// standard OTEL_EXPORTER_OTLP_* variables do not apply: they configure a
// user's OpenTelemetry for their own services, and honouring them would
// silently send a vendor tool's telemetry into the user's pipeline (or
// their headers to the vendor). The scheme must be https, or http when the
// host is loopback (localhost, 127.0.0.0/8, ::1) or the tool allows it.
//
// # Answers
//
// A 2xx is delivered when it carries an OTLP answer (protobuf, JSON or
// nothing); any other 2xx, such as a captive portal's page, is not. A 4xx
// other than 401, 403, 404, 407, 408 and 429 is rejected: the collector
// will never accept the body, so it is dropped. 401, 403, 404 and 407 come
// from proxies, portals and wrong addresses rather than from a collector
// judging the data, so they, 408, 429, 5xx, redirects, network errors and
// timeouts mean "try again later", after the collector's Retry-After
// (capped at 6 h) when it gave one. Errors never quote the endpoint's
// credentials or any span data.
package otlphttp
