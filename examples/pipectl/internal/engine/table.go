package engine

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
	"github.com/anontel/anontel/internal/atomicfile"
)

// Table is a CSV dataset: a header row and data rows.
type Table struct {
	Header []string
	Rows   [][]string
}

// clone returns a deep copy, so nodes never share rows.
func (t *Table) clone() *Table {
	c := &Table{Header: append([]string(nil), t.Header...), Rows: make([][]string, len(t.Rows))}
	for i, r := range t.Rows {
		c.Rows[i] = append([]string(nil), r...)
	}
	return c
}

// ReadCSV reads a CSV file whose first row is the header.
func ReadCSV(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Base(path), err)
	}
	if len(records) == 0 {
		return &Table{}, nil
	}
	return &Table{Header: records[0], Rows: records[1:]}, nil
}

// WriteCSV writes t to path atomically, creating its folder.
func WriteCSV(path string, t *Table) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if len(t.Header) > 0 {
		w.Write(t.Header)
	}
	w.WriteAll(t.Rows)
	if err := w.Error(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644, true)
}

// storage says how a catalog entry is kept.
type storage int

const (
	inMemory storage = iota
	csvFile
)

func storageOf(name string, d project.Dataset) (storage, error) {
	t := strings.ToLower(d.Type)
	switch {
	case t == "memorydataset" || strings.HasSuffix(t, ".memorydataset"):
		return inMemory, nil
	case t == "csv" || strings.HasSuffix(t, "csvdataset"):
		if d.Filepath == "" {
			return 0, fmt.Errorf("dataset %q: type %s needs a filepath", name, d.Type)
		}
		return csvFile, nil
	default:
		return 0, fmt.Errorf("dataset %q: unsupported type %q (use pandas.CSVDataset or MemoryDataset)", name, d.Type)
	}
}
