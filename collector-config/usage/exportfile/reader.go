package exportfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// MaxRecord is the largest record accepted. The exporter's own rotation
// default is 100 MiB per file; a length prefix above this means the file is
// not an export (or is damaged), so it is refused rather than allocated.
const MaxRecord = 256 << 20

// zstdMagic starts every zstd frame (RFC 8878).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Framing is how records are delimited in the (decompressed) stream.
type Framing string

const (
	// JSONLines is format: json without message compression: one
	// ExportTraceServiceRequest as OTLP/JSON per line.
	JSONLines Framing = "json-lines"
	// LengthPrefixed is format: proto, or any format with per-message
	// compression: a 4-byte big-endian length before each message.
	LengthPrefixed Framing = "length-prefixed"
)

// ErrIncomplete is returned by Next when the stream ends inside a record: a
// file the collector is still writing, or a truncated one. Offset() is then
// the end of the last complete record.
var ErrIncomplete = errors.New("the file ends inside a record (still being written, or truncated)")

// ErrNotExport wraps every error that says the bytes are not a file export.
var ErrNotExport = errors.New("not a trace file export of the collector's file exporter")

// Record is one decoded ExportTraceServiceRequest.
type Record struct {
	Start, End int64 // offsets in the logical (decompressed) stream
	Traces     ptrace.Traces
}

// Reader reads records from one export file. It hashes the logical stream up
// to the end of the last complete record, so a loader can tell later whether
// a file continues what it loaded before.
type Reader struct {
	br          *bufio.Reader
	closer      func()
	pos         int64
	sum         hash.Hash
	framing     Framing
	fileZstd    bool
	messageZstd bool
	dec         *zstd.Decoder // for per-message compression
	empty       bool
	startErr    error
}

// NewReader sniffs the framing and compression of r and returns a reader
// positioned at its start. An empty input gives a reader whose Next returns
// io.EOF.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{sum: sha256.New(), closer: func() {}}
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.Equal(head, zstdMagic) {
		// exporter.file.nativeCompression: the whole file is a zstd stream
		// (one frame per write when rotating), framed inside as without
		// compression.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<32))
		if err != nil {
			return nil, err
		}
		rd.fileZstd = true
		rd.closer = zr.Close
		br = bufio.NewReaderSize(zr, 1<<20)
		head, err = br.Peek(1)
		if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
			// Not even one frame is whole yet.
			rd.startErr = ErrIncomplete
		}
	}
	rd.br = br
	switch {
	case len(head) == 0:
		rd.empty = true
		rd.framing = JSONLines
	case head[0] == '{':
		rd.framing = JSONLines
	default:
		rd.framing = LengthPrefixed
	}
	return rd, nil
}

// Close releases the decompressor, if any.
func (r *Reader) Close() {
	r.closer()
	if r.dec != nil {
		r.dec.Close()
	}
}

// Framing tells how records are delimited.
func (r *Reader) Framing() Framing { return r.framing }

// Compression describes the compression found: "", "zstd per message" or
// "zstd file".
func (r *Reader) Compression() string {
	switch {
	case r.fileZstd:
		return "zstd file"
	case r.messageZstd:
		return "zstd per message"
	}
	return ""
}

// Offset is the logical offset just past the last complete record read (or
// skipped).
func (r *Reader) Offset() int64 { return r.pos }

// Head returns up to n bytes of the logical stream at the current position
// without consuming them; valid until the next read.
func (r *Reader) Head(n int) []byte {
	b, _ := r.br.Peek(n)
	return b
}

// Sum is the SHA-256 of the logical stream from its start to Offset.
func (r *Reader) Sum() []byte { return r.sum.Sum(nil) }

// Skip reads and hashes n bytes without decoding them: the part of the file
// loaded before. It fails if the stream is shorter.
func (r *Reader) Skip(n int64) error {
	m, err := io.CopyN(r.sum, r.br, n)
	r.pos += m
	if err != nil {
		return fmt.Errorf("skipping %d bytes loaded before: %w", n, err)
	}
	return nil
}

// Next returns the next record, io.EOF at a clean end, ErrIncomplete when the
// stream stops inside a record, or an error wrapping ErrNotExport when a
// record cannot be decoded.
func (r *Reader) Next() (Record, error) {
	if r.startErr != nil {
		return Record{}, r.startErr
	}
	if r.empty {
		return Record{}, io.EOF
	}
	start := r.pos
	for {
		raw, frame, err := r.frame()
		if err != nil {
			return Record{}, err
		}
		payload := raw
		if bytes.HasPrefix(payload, zstdMagic) {
			if r.dec == nil {
				if r.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1)); err != nil {
					return Record{}, err
				}
			}
			r.messageZstd = true
			if payload, err = r.dec.DecodeAll(payload, nil); err != nil {
				return Record{}, fmt.Errorf("%w: record at offset %d: zstd: %v", ErrNotExport, r.pos, err)
			}
		}
		if r.framing == JSONLines {
			payload = bytes.TrimSpace(payload)
		}
		if r.framing == JSONLines && len(payload) == 0 {
			// A blank line: consumed, nothing to decode.
			r.consume(frame)
			start = r.pos
			continue
		}
		var td ptrace.Traces
		if len(payload) > 0 && payload[0] == '{' {
			td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(payload)
		} else {
			td, err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(payload)
		}
		if err != nil {
			return Record{}, fmt.Errorf("%w: record at offset %d: %v", ErrNotExport, r.pos, err)
		}
		r.consume(frame)
		return Record{Start: start, End: r.pos, Traces: td}, nil
	}
}

func (r *Reader) consume(frame []byte) {
	r.sum.Write(frame)
	r.pos += int64(len(frame))
}

// frame reads the next record's bytes without consuming them from the hash:
// raw is the payload, frame the bytes as they stand in the stream.
func (r *Reader) frame() (raw, frame []byte, err error) {
	switch r.framing {
	case JSONLines:
		line, err := r.br.ReadBytes('\n')
		if err != nil {
			if len(line) == 0 && errors.Is(err, io.EOF) {
				return nil, nil, io.EOF
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil, ErrIncomplete
			}
			return nil, nil, r.streamErr(err)
		}
		if len(line) > MaxRecord {
			return nil, nil, fmt.Errorf("%w: line at offset %d is longer than %d bytes", ErrNotExport, r.pos, MaxRecord)
		}
		return line[:len(line)-1], line, nil
	default:
		var hdr [4]byte
		n, err := io.ReadFull(r.br, hdr[:])
		if err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				return nil, nil, io.EOF
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil, ErrIncomplete
			}
			return nil, nil, r.streamErr(err)
		}
		size := binary.BigEndian.Uint32(hdr[:])
		if size > MaxRecord {
			return nil, nil, fmt.Errorf("%w: record at offset %d claims %d bytes (more than %d)", ErrNotExport, r.pos, size, MaxRecord)
		}
		frame = make([]byte, 4+int(size))
		copy(frame, hdr[:])
		if _, err := io.ReadFull(r.br, frame[4:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil, ErrIncomplete
			}
			return nil, nil, r.streamErr(err)
		}
		return frame[4:], frame, nil
	}
}

// streamErr classifies a read error: inside a zstd file stream a damaged or
// unfinished frame reads as the end of what can be loaded now.
func (r *Reader) streamErr(err error) error {
	if r.fileZstd {
		return fmt.Errorf("%w: %v", ErrIncomplete, err)
	}
	return err
}
