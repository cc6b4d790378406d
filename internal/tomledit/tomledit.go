package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ErrInvalid is wrapped by the errors SetKey returns when its input, or the
// document it would produce, is not valid TOML.
var ErrInvalid = errors.New("tomledit: invalid TOML")

// Literal is a value already encoded as TOML (for example `"abc"` or `true`).
// SetKey writes it as is.
type Literal string

// SetKey returns a copy of data in which key = value is set inside table, a
// dotted table name such as "tool.pipectl_telemetry" ("" is the root table;
// each part must be a bare key, as dots split the parts):
//
//   - if the key exists in that table (under its [table] header or as a dotted
//     key of a parent table), only its value is replaced;
//   - else, if a [table] header exists, the line "key = value" is inserted after
//     the table's last key/value line (right after the header when it has none),
//     so no duplicate header is ever written;
//   - else "\n[table]\nkey = value\n" is appended.
//
// Every other byte is unchanged and inserted lines use the file's line ending.
// value is a string, a bool or a Literal. The result is re-parsed; if data or the
// result is not valid TOML an error wrapping ErrInvalid is returned instead.
func SetKey(data []byte, table, key string, value any) ([]byte, error) {
	if key == "" || !utf8.ValidString(key) || !utf8.ValidString(table) {
		return nil, fmt.Errorf("tomledit: bad key %q in table %q", key, table)
	}
	lit, err := encodeValue(value)
	if err != nil {
		return nil, err
	}
	var target []string
	if table != "" {
		target = strings.Split(table, ".")
		for _, p := range target {
			if p == "" {
				return nil, fmt.Errorf("tomledit: bad table name %q", table)
			}
		}
	}
	if err := validate(data); err != nil {
		return nil, err
	}

	loc, err := locate(data, target, key)
	if err != nil {
		return nil, err
	}
	nl := lineEnding(data)
	line := encodeKey(key) + " = " + lit

	var out []byte
	switch {
	case loc.valueFound:
		out = concat(data[:loc.valueStart], []byte(lit), data[loc.valueEnd:])
	case loc.tableFound:
		at := loc.insertAt
		var ins string
		if at == len(data) && at > 0 && data[at-1] != '\n' {
			ins = nl // the last line has no line ending: end it first
		}
		ins += line + nl
		out = concat(data[:at], []byte(ins), data[at:])
	default:
		var ins string
		if len(data) > 0 {
			if data[len(data)-1] != '\n' {
				ins = nl
			}
			ins += nl
		}
		if len(target) > 0 {
			ins += "[" + encodeTable(target) + "]" + nl
		}
		ins += line + nl
		out = concat(data, []byte(ins))
	}
	if err := validate(out); err != nil {
		return nil, fmt.Errorf("tomledit: setting %s in [%s] would produce invalid TOML: %w", key, table, err)
	}
	return out, nil
}

// location says where in a document a key lives or may be inserted.
type location struct {
	valueFound           bool
	valueStart, valueEnd int // bytes of the existing value
	tableFound           bool
	insertAt             int // start of the line after the table's last key/value line
}

func locate(data []byte, target []string, key string) (location, error) {
	var loc location
	want := append(append([]string{}, target...), key)

	// The root table always exists; its body starts at offset 0.
	inTarget := len(target) == 0
	if inTarget {
		loc.tableFound = true
	}
	var current []string // keys of the current table header
	inArray := false

	p := unstable.Parser{}
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			current = keyParts(e.Key())
			inArray = e.Kind == unstable.ArrayTable
			inTarget = !inArray && slices.Equal(current, target)
			if inTarget {
				loc.tableFound = true
				loc.insertAt = lineEnd(data, lastKeyEnd(e.Key()))
			}
		case unstable.KeyValue:
			end := int(e.Raw.Offset + e.Raw.Length)
			if inTarget {
				loc.insertAt = lineEnd(data, end)
			}
			if inArray {
				continue
			}
			full := append(append([]string{}, current...), keyParts(e.Key())...)
			if slices.Equal(full, want) {
				start, err := valueStart(data, lastKeyEnd(e.Key()), end)
				if err != nil {
					return loc, err
				}
				loc.valueFound = true
				loc.valueStart, loc.valueEnd = start, end
			}
		}
	}
	if err := p.Error(); err != nil {
		return loc, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return loc, nil
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// lastKeyEnd returns the offset just after the last part of a (dotted) key.
func lastKeyEnd(it unstable.Iterator) int {
	end := 0
	for it.Next() {
		r := it.Node().Raw
		end = int(r.Offset + r.Length)
	}
	return end
}

// valueStart finds the first byte of the value in a key/value whose key ends
// at keyEnd and which ends at end: after '=' and blanks.
func valueStart(data []byte, keyEnd, end int) (int, error) {
	i := bytes.IndexByte(data[keyEnd:end], '=')
	if i < 0 {
		return 0, fmt.Errorf("%w: no '=' after key", ErrInvalid)
	}
	i += keyEnd + 1
	for i < end && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i, nil
}

// lineEnd returns the offset just after the line ending that follows offset
// i, or len(data). After a value or a header only blanks and a comment remain
// on the line, and neither can hold a newline.
func lineEnd(data []byte, i int) int {
	j := bytes.IndexByte(data[i:], '\n')
	if j < 0 {
		return len(data)
	}
	return i + j + 1
}

func lineEnding(data []byte) string {
	if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func validate(data []byte) error {
	var v map[string]any
	if err := toml.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// encodeValue encodes v, a string, a bool or a Literal, as an inline TOML
// value. It quotes by hand rather than with go-toml's encoder: that encoder
// (reflection, struct plans, sorting) was 94 KB of every tool's binary
// for the two kinds of value written here. go-toml's decoder, which every
// tool links anyway, reads each result back: a value that does not decode
// to itself is refused.
func encodeValue(v any) (string, error) {
	var lit string
	switch v := v.(type) {
	case Literal:
		lit = string(v)
		if strings.ContainsAny(lit, "\r\n") {
			return "", fmt.Errorf("tomledit: bad literal %q", lit)
		}
	case bool:
		lit = strconv.FormatBool(v)
	case string:
		if !utf8.ValidString(v) {
			return "", errors.New("tomledit: string value is not valid UTF-8")
		}
		lit = quote(v)
	default:
		return "", fmt.Errorf("tomledit: value of type %T is not a string or a bool", v)
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte("k = "+lit), &doc); err != nil {
		return "", fmt.Errorf("tomledit: bad literal %q", lit)
	}
	if _, isLit := v.(Literal); !isLit && doc["k"] != v {
		return "", fmt.Errorf("tomledit: %q does not read back as the value written", lit)
	}
	return lit, nil
}

// quote returns s as a TOML string (TOML 1.0, "String"): a literal string
// ('...', as go-toml writes one) when s needs no escape, else a basic string
// with ", \ and the control characters escaped.
func quote(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\'' || r < 0x20 && r != '\t' || r == 0x7f }) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isBare(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func encodeKey(k string) string {
	if isBare(k) {
		return k
	}
	lit, err := encodeValue(k)
	if err != nil { // cannot happen for a string
		return `"` + k + `"`
	}
	return lit
}

func encodeTable(parts []string) string {
	enc := make([]string, len(parts))
	for i, p := range parts {
		enc[i] = encodeKey(p)
	}
	return strings.Join(enc, ".")
}
