package identity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// scanned is what identity needs from a project file.
type scanned struct {
	marker bool   // Table is a table
	pkg    string // Table.PackageNameKey when it is a string
	id     any    // IDTable.IDKey: nil when absent, a string, or the kind of another value
}

// idKind stands for a stored id that is not a string.
type idKind string

// scan reads the marker table, the package name and the stored id from a
// TOML document in one pass, in time linear in its size. Decoding the whole
// document with go-toml costs more than linear time in the number of keys
// (measured: a 60 KB file of 2,000 keys in one table 28 ms, 1 MB 3 s), and
// this runs on every command. Syntax errors, and keys or tables defined
// twice, are errors, as for a full decode; rarer semantic faults are left
// to the validation that precedes any edit (tomledit).
func scan(data []byte, p ProjectFile) (scanned, error) {
	var s scanned
	table := splitPath(p.Table)
	pkgPath := append(append([]string{}, table...), p.PackageNameKey)
	idPath := append(splitPath(p.IDTable), p.IDKey)
	seen := map[string]bool{}   // keys and [table] headers defined
	arrays := map[string]bool{} // [[array]] tables: no path through one counts
	define := func(path []string) error {
		k := strings.Join(path, "\x00")
		if seen[k] {
			return fmt.Errorf("%s is defined twice", strings.Join(path, "."))
		}
		seen[k] = true
		return nil
	}
	underArray := func(path []string) bool {
		for i := 1; i <= len(path); i++ {
			if arrays[strings.Join(path[:i], "\x00")] {
				return true
			}
		}
		return false
	}
	var visit func(prefix []string, kv *unstable.Node) error
	visit = func(prefix []string, kv *unstable.Node) error {
		full := append(append([]string{}, prefix...), keyParts(kv.Key())...)
		if err := define(full); err != nil {
			return err
		}
		v := kv.Value()
		if len(table) > 0 && hasPrefix(full, table) && (len(full) > len(table) || v.Kind == unstable.InlineTable) {
			s.marker = true
		}
		if p.PackageNameKey != "" && slices.Equal(full, pkgPath) && v.Kind == unstable.String {
			s.pkg = string(v.Data)
		}
		if slices.Equal(full, idPath) {
			if v.Kind == unstable.String {
				s.id = string(v.Data)
			} else {
				s.id = idKind(v.Kind.String())
			}
		}
		if v.Kind == unstable.InlineTable {
			for it := v.Children(); it.Next(); {
				if err := visit(full, it.Node()); err != nil {
					return err
				}
			}
		}
		return nil
	}

	var current []string
	skip := false // current is, or is inside, an array table
	var parser unstable.Parser
	parser.Reset(data)
	for parser.NextExpression() {
		e := parser.Expression()
		switch e.Kind {
		case unstable.Table:
			current = keyParts(e.Key())
			skip = underArray(current)
			if err := define(current); err != nil {
				return scanned{}, err
			}
			if len(table) > 0 && hasPrefix(current, table) && !skip {
				s.marker = true
			}
		case unstable.ArrayTable:
			current, skip = keyParts(e.Key()), true
			arrays[strings.Join(current, "\x00")] = true
			if len(table) > 0 && hasPrefix(current, table) && len(current) > len(table) && !underArray(table) {
				s.marker = true // [[tool.pipectl.x]] makes tool.pipectl a table
			}
		case unstable.KeyValue:
			if skip {
				continue // inside an array element: not the paths we look for
			}
			if err := visit(current, e); err != nil {
				return scanned{}, err
			}
		}
	}
	if err := parser.Error(); err != nil {
		return scanned{}, err
	}
	return s, nil
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func splitPath(dotted string) []string {
	if dotted == "" {
		return nil
	}
	return strings.Split(dotted, ".")
}

func hasPrefix(path, prefix []string) bool {
	return len(path) >= len(prefix) && slices.Equal(path[:len(prefix)], prefix)
}
