// Package exportfile reads what the OpenTelemetry Collector's contrib `file`
// exporter (v0.161.0) writes for traces: JSON lines or length-prefixed
// protobuf, with or without zstd (per message, or, with the
// exporter.file.nativeCompression feature gate, the whole file), one
// ExportTraceServiceRequest per record, decoded with pdata's own
// unmarshalers. It reports byte offsets of complete records so that a loader
// can resume where it stopped and leave a record still being written alone.
package exportfile
