package exportfile

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Options are the file exporter settings that change the bytes on disk.
type Options struct {
	Format      string // "json" (default) or "proto"
	Compression string // "" or "zstd"
	// NativeCompression is the exporter.file.nativeCompression feature
	// gate: the file is one zstd stream instead of zstd per message.
	NativeCompression bool
}

// Writer writes records exactly as the file exporter (v0.161.0) frames
// them, with pdata's own marshalers: the generator and the tests use it so
// that what they load has the collector's shape.
type Writer struct {
	base io.Writer
	w    io.Writer
	zw   *zstd.Encoder // native compression: the file stream
	enc  *zstd.Encoder // per-message compression
	opts Options
}

// NewWriter returns a writer to w. Close finishes a natively compressed
// stream; it does not close w.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	if opts.Format == "" {
		opts.Format = "json"
	}
	if opts.Format != "json" && opts.Format != "proto" {
		return nil, fmt.Errorf("format %q: want json or proto", opts.Format)
	}
	if opts.Compression != "" && opts.Compression != "zstd" {
		return nil, fmt.Errorf("compression %q: want zstd or none", opts.Compression)
	}
	wr := &Writer{base: w, w: w, opts: opts}
	var err error
	switch {
	case opts.Compression == "zstd" && opts.NativeCompression:
		wr.zw, err = zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		wr.w = wr.zw
	case opts.Compression == "zstd":
		wr.enc, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	}
	return wr, err
}

// Write appends one ExportTraceServiceRequest.
func (w *Writer) Write(td ptrace.Traces) error {
	var buf []byte
	var err error
	if w.opts.Format == "json" {
		buf, err = (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	} else {
		buf, err = (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	}
	if err != nil {
		return err
	}
	if w.enc != nil {
		buf = w.enc.EncodeAll(buf, nil)
	}
	// JSON is a line unless compressed per message (the exporter cannot put
	// binary on a line); with native compression JSON stays lines.
	if w.opts.Format == "json" && w.enc == nil {
		_, err = w.w.Write(append(buf, '\n'))
		return err
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(buf)), uint32(len(buf)))
	_, err = w.w.Write(append(frame, buf...))
	return err
}

// Flush finishes the current zstd frame of a natively compressed stream and
// starts the next, as the exporter's periodic flush does (with rotation it
// makes one frame per record); a no-op otherwise.
func (w *Writer) Flush() error {
	if w.zw != nil {
		if err := w.zw.Close(); err != nil {
			return err
		}
		w.zw.Reset(w.base)
	}
	return nil
}

// Close finishes a natively compressed stream.
func (w *Writer) Close() error {
	if w.zw != nil {
		return w.zw.Close()
	}
	if w.enc != nil {
		return w.enc.Close()
	}
	return nil
}
