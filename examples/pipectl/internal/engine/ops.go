package engine

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// operation computes a node's outputs from its inputs. names are the input
// dataset names; nOut is the number of outputs the node declares.
type operation func(names []string, in []any, nOut int) ([]any, error)

// Operations lists the built-in operation names.
func Operations() []string {
	names := make([]string, 0, len(operations))
	for n := range operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var operations = map[string]operation{
	// copy passes each input through to the output at the same position.
	"copy": func(names []string, in []any, nOut int) ([]any, error) {
		if nOut != len(in) {
			return nil, fmt.Errorf("copy needs as many outputs as inputs (%d inputs, %d outputs)", len(in), nOut)
		}
		out := make([]any, len(in))
		for i, v := range in {
			if t, ok := v.(*Table); ok {
				v = t.clone()
			}
			out[i] = v
		}
		return out, nil
	},
	// upper upper-cases every cell of each input table.
	"upper": func(names []string, in []any, nOut int) ([]any, error) {
		if nOut != len(in) {
			return nil, fmt.Errorf("upper needs as many outputs as inputs (%d inputs, %d outputs)", len(in), nOut)
		}
		out := make([]any, len(in))
		for i, v := range in {
			t, err := asTable(names[i], v)
			if err != nil {
				return nil, err
			}
			c := t.clone()
			for _, row := range c.Rows {
				for j := range row {
					row[j] = strings.ToUpper(row[j])
				}
			}
			out[i] = c
		}
		return out, nil
	},
	// count_rows outputs one table with a row per input: dataset,rows.
	"count_rows": func(names []string, in []any, nOut int) ([]any, error) {
		if nOut != 1 || len(in) == 0 {
			return nil, fmt.Errorf("count_rows needs at least one input and exactly one output")
		}
		out := &Table{Header: []string{"dataset", "rows"}}
		for i, v := range in {
			t, err := asTable(names[i], v)
			if err != nil {
				return nil, err
			}
			out.Rows = append(out.Rows, []string{names[i], strconv.Itoa(len(t.Rows))})
		}
		return []any{out}, nil
	},
	// filter keeps the rows of a table whose column equals a value, ignoring
	// case. Inputs: table, column name, value.
	"filter": func(names []string, in []any, nOut int) ([]any, error) {
		if len(in) != 3 || nOut != 1 {
			return nil, fmt.Errorf("filter needs inputs [table, column, value] and one output")
		}
		t, err := asTable(names[0], in[0])
		if err != nil {
			return nil, err
		}
		column := fmt.Sprint(in[1])
		value := fmt.Sprint(in[2])
		col := slices.Index(t.Header, column)
		if col < 0 {
			return nil, fmt.Errorf("filter: dataset %q has no column %q", names[0], column)
		}
		out := &Table{Header: slices.Clone(t.Header)}
		for _, row := range t.Rows {
			if col < len(row) && strings.EqualFold(row[col], value) {
				out.Rows = append(out.Rows, slices.Clone(row))
			}
		}
		return []any{out}, nil
	},
}

func asTable(name string, v any) (*Table, error) {
	t, ok := v.(*Table)
	if !ok {
		return nil, fmt.Errorf("input %q is not a table", name)
	}
	return t, nil
}
