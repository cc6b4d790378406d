package exportfile_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
)

func traces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	for i := range n {
		s := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		s.SetName("pipectl run")
		s.SetSpanID([8]byte{1, 2, 3, 4, 5, 6, 7, byte(i + 1)})
	}
	return td
}

var modes = []struct {
	name        string
	opts        exportfile.Options
	framing     exportfile.Framing
	compression string
}{
	{"json", exportfile.Options{Format: "json"}, exportfile.JSONLines, ""},
	{"proto", exportfile.Options{Format: "proto"}, exportfile.LengthPrefixed, ""},
	{"json zstd", exportfile.Options{Format: "json", Compression: "zstd"}, exportfile.LengthPrefixed, "zstd per message"},
	{"proto zstd", exportfile.Options{Format: "proto", Compression: "zstd"}, exportfile.LengthPrefixed, "zstd per message"},
	{"json native zstd", exportfile.Options{Format: "json", Compression: "zstd", NativeCompression: true}, exportfile.JSONLines, "zstd file"},
	{"proto native zstd", exportfile.Options{Format: "proto", Compression: "zstd", NativeCompression: true}, exportfile.LengthPrefixed, "zstd file"},
}

// write returns the file bytes and the logical (decompressed) bytes.
func write(t *testing.T, opts exportfile.Options, records ...int) (file, logical []byte) {
	t.Helper()
	var buf bytes.Buffer
	w, err := exportfile.NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range records {
		if err := w.Write(traces(n)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file = buf.Bytes()
	logical = file
	if opts.NativeCompression {
		plain := opts
		plain.Compression, plain.NativeCompression = "", false
		_, logical = write(t, plain, records...)
	}
	return file, logical
}

func readAll(t *testing.T, b []byte) (*exportfile.Reader, []exportfile.Record, error) {
	t.Helper()
	rd, err := exportfile.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var recs []exportfile.Record
	for {
		rec, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return rd, recs, err
		}
		recs = append(recs, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			file, logical := write(t, m.opts, 3, 1, 2)
			rd, recs, err := readAll(t, file)
			if err != nil {
				t.Fatal(err)
			}
			if rd.Framing() != m.framing || rd.Compression() != m.compression {
				t.Errorf("sniffed %s/%q, want %s/%q", rd.Framing(), rd.Compression(), m.framing, m.compression)
			}
			var spans []int
			for _, r := range recs {
				spans = append(spans, r.Traces.SpanCount())
			}
			if !equal(spans, []int{3, 1, 2}) {
				t.Errorf("spans per record %v, want [3 1 2]", spans)
			}
			if rd.Offset() != int64(len(logical)) {
				t.Errorf("offset %d, want %d", rd.Offset(), len(logical))
			}
			if sum := sha256.Sum256(logical); !bytes.Equal(rd.Sum(), sum[:]) {
				t.Error("Sum is not the SHA-256 of the logical stream")
			}
			if recs[1].Start != recs[0].End || recs[2].End != int64(len(logical)) {
				t.Errorf("record offsets do not tile the stream: %+v", recs)
			}
		})
	}
}

func TestIncompleteTail(t *testing.T) {
	for _, m := range modes {
		if m.opts.NativeCompression {
			continue // covered by TestNativeTruncated
		}
		t.Run(m.name, func(t *testing.T) {
			file, _ := write(t, m.opts, 2, 2)
			first, _ := write(t, m.opts, 2)
			for _, cut := range []int{1, 3, 5, len(file) - len(first) - 1} {
				rd, recs, err := readAll(t, file[:len(file)-cut])
				if !errors.Is(err, exportfile.ErrIncomplete) {
					t.Fatalf("cut %d: err %v, want ErrIncomplete", cut, err)
				}
				if len(recs) != 1 || rd.Offset() != int64(len(first)) {
					t.Errorf("cut %d: %d records to offset %d, want 1 to %d", cut, len(recs), rd.Offset(), len(first))
				}
			}
		})
	}
}

func TestNativeTruncated(t *testing.T) {
	file, _ := write(t, exportfile.Options{Format: "json", Compression: "zstd", NativeCompression: true}, 2, 2)
	one, _ := write(t, exportfile.Options{Format: "json", Compression: "zstd", NativeCompression: true}, 2)
	for _, c := range []struct{ keep, want int }{
		{len(file) - 3, 1}, // the second frame is damaged
		{len(one) - 2, 0},  // the first
		{2, 0},
	} {
		_, recs, err := readAll(t, file[:c.keep])
		if !errors.Is(err, exportfile.ErrIncomplete) {
			t.Fatalf("keep %d: err %v, want ErrIncomplete", c.keep, err)
		}
		if len(recs) != c.want {
			t.Errorf("keep %d of %d: %d records, want %d", c.keep, len(file), len(recs), c.want)
		}
	}
}

func TestNotAnExport(t *testing.T) {
	good, _ := write(t, exportfile.Options{Format: "proto"}, 1)
	for name, b := range map[string][]byte{
		"csv":             []byte("time,user,command\n2026-01-01,a,run\n"),
		"png":             {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0},
		"json not otlp":   []byte(`{"resourceSpans": 3}` + "\n"),
		"garbage framed":  {0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff},
		"good then worse": append(append([]byte{}, good...), 0, 0, 0, 3, 0x0a, 0xff, 0xff),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, b)
			if !errors.Is(err, exportfile.ErrNotExport) {
				t.Errorf("err %v, want ErrNotExport", err)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	rd, recs, err := readAll(t, nil)
	if err != nil || len(recs) != 0 || rd.Offset() != 0 {
		t.Errorf("empty input: %d records, offset %d, %v", len(recs), rd.Offset(), err)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
