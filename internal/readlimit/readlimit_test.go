package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content *string // nil: none; "\x00DIR" makes a folder
		max     int64
		want    error
	}{
		{name: "small", content: p("abc"), max: 3},
		{name: "empty", content: p(""), max: 0},
		{name: "one byte too many", content: p("abcd"), max: 3, want: ErrTooLarge},
		{name: "far too large", content: p(strings.Repeat("x", 1<<20)), max: 1 << 10, want: ErrTooLarge},
		{name: "missing", max: 10, want: fs.ErrNotExist},
		{name: "folder", content: p("\x00DIR"), max: 10, want: ErrNotRegular},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			switch {
			case tc.content == nil:
			case *tc.content == "\x00DIR":
				os.Mkdir(path, 0o700)
			default:
				os.WriteFile(path, []byte(*tc.content), 0o600)
			}
			got, err := File(path, tc.max)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || got != nil {
					t.Fatalf("File = %d bytes, %v; want %v", len(got), err, tc.want)
				}
				return
			}
			if err != nil || string(got) != *tc.content {
				t.Fatalf("File = %q, %v", got, err)
			}
		})
	}
}

func p(s string) *string { return &s }
