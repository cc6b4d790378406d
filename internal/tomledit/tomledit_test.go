package tomledit

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestSetKey(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		table string
		key   string
		value any
		want  string
	}{
		{
			name:  "empty document",
			in:    "",
			table: "telemetry", key: "uuid", value: "abc",
			want: "[telemetry]\nuuid = 'abc'\n",
		},
		{
			name:  "table absent: appended, rest untouched",
			in:    "# my project\n[project]\nname = \"x\"  # keep me\n",
			table: "tool.pipectl_telemetry", key: "project_id", value: "abc",
			want: "# my project\n[project]\nname = \"x\"  # keep me\n\n[tool.pipectl_telemetry]\nproject_id = 'abc'\n",
		},
		{
			name:  "table absent, no final newline",
			in:    "a = 1",
			table: "t", key: "k", value: true,
			want: "a = 1\n\n[t]\nk = true\n",
		},
		{
			name:  "table exists without key: inserted in the table, no duplicate header",
			in:    "[tool.pipectl_telemetry]\nother = 1 # c\n\n[project]\nname = \"x\"\n",
			table: "tool.pipectl_telemetry", key: "project_id", value: "abc",
			want: "[tool.pipectl_telemetry]\nother = 1 # c\nproject_id = 'abc'\n\n[project]\nname = \"x\"\n",
		},
		{
			name:  "empty table: inserted after header",
			in:    "[telemetry] # header comment\n\n# trailing\n[other]\nx = 1\n",
			table: "telemetry", key: "consent", value: false,
			want: "[telemetry] # header comment\nconsent = false\n\n# trailing\n[other]\nx = 1\n",
		},
		{
			name:  "table is last, without final newline",
			in:    "[telemetry]\nuuid = 'u'",
			table: "telemetry", key: "consent", value: true,
			want: "[telemetry]\nuuid = 'u'\nconsent = true\n",
		},
		{
			name:  "key exists: only the value replaced",
			in:    "[telemetry]\n  uuid   =   \"old\"   # the id\nconsent = true\n",
			table: "telemetry", key: "uuid", value: "new",
			want: "[telemetry]\n  uuid   =   'new'   # the id\nconsent = true\n",
		},
		{
			name:  "key exists with multi-line value",
			in:    "[t]\nk = [\n  1,\n  2,\n] # c\nz = 1\n",
			table: "t", key: "k", value: false,
			want: "[t]\nk = false # c\nz = 1\n",
		},
		{
			name:  "key as dotted key of a parent table",
			in:    "[tool]\npipectl_telemetry.project_id = \"old\"\n",
			table: "tool.pipectl_telemetry", key: "project_id", value: "new",
			want: "[tool]\npipectl_telemetry.project_id = 'new'\n",
		},
		{
			name:  "quoted header and key match",
			in:    "[\"telemetry\"]\n\"uuid\" = 'old'\n",
			table: "telemetry", key: "uuid", value: "new",
			want: "[\"telemetry\"]\n\"uuid\" = 'new'\n",
		},
		{
			name:  "same key in another table is not touched",
			in:    "[a]\nuuid = 'x'\n[telemetry]\nconsent = true\n[b]\nuuid = 'y'\n",
			table: "telemetry", key: "uuid", value: "z",
			want: "[a]\nuuid = 'x'\n[telemetry]\nconsent = true\nuuid = 'z'\n[b]\nuuid = 'y'\n",
		},
		{
			name:  "header-looking text in multi-line string is not a header",
			in:    "[t]\ns = \"\"\"\n[telemetry]\nuuid = 'fake'\n\"\"\"\n",
			table: "telemetry", key: "uuid", value: "u",
			want: "[t]\ns = \"\"\"\n[telemetry]\nuuid = 'fake'\n\"\"\"\n\n[telemetry]\nuuid = 'u'\n",
		},
		{
			name:  "CRLF line endings kept",
			in:    "[telemetry]\r\nuuid = 'u'\r\n",
			table: "telemetry", key: "consent", value: true,
			want: "[telemetry]\r\nuuid = 'u'\r\nconsent = true\r\n",
		},
		{
			name:  "root table",
			in:    "# c\na = 1\n[t]\nb = 2\n",
			table: "", key: "z", value: "v",
			want: "# c\na = 1\nz = 'v'\n[t]\nb = 2\n",
		},
		{
			name:  "literal value",
			in:    "[t]\n",
			table: "t", key: "k", value: Literal(`"x"`),
			want: "[t]\nk = \"x\"\n",
		},
		{
			name:  "non-bare key is quoted",
			in:    "",
			table: "t", key: "a b", value: "1",
			want: "[t]\n'a b' = '1'\n",
		},
		{
			name:  "string needing escapes",
			in:    "",
			table: "t", key: "k", value: "it's \"q\"\n",
			want: "[t]\nk = \"it's \\\"q\\\"\\n\"\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SetKey([]byte(tc.in), tc.table, tc.key, tc.value)
			if err != nil {
				t.Fatalf("SetKey: %v", err)
			}
			if string(got) != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
			// The value reads back.
			var doc map[string]any
			if err := toml.Unmarshal(got, &doc); err != nil {
				t.Fatalf("result does not parse: %v", err)
			}
			var tbl any = doc
			if tc.table != "" {
				for _, p := range strings.Split(tc.table, ".") {
					tbl = tbl.(map[string]any)[p]
				}
			}
			v := tbl.(map[string]any)[tc.key]
			want := tc.value
			if l, ok := tc.value.(Literal); ok {
				var d map[string]any
				toml.Unmarshal([]byte("k = "+string(l)), &d)
				want = d["k"]
			}
			if i, ok := want.(int); ok {
				want = int64(i)
			}
			if v != want {
				t.Fatalf("value reads back as %#v, want %#v", v, want)
			}
		})
	}
}

func TestSetKeyErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		table   string
		key     string
		value   any
		invalid bool // error wraps ErrInvalid
	}{
		{name: "input not TOML", in: "this is = = not toml", table: "t", key: "k", value: "v", invalid: true},
		{name: "duplicate key in input", in: "a = 1\na = 2\n", table: "t", key: "k", value: "v", invalid: true},
		{name: "table defined inline", in: "t = { a = 1 }\n", table: "t", key: "k", value: "v", invalid: true},
		{name: "table is a dotted key of parent", in: "[tool]\nx.a = 1\n", table: "tool.x", key: "k", value: "v", invalid: true},
		{name: "table is an array of tables", in: "[[t]]\nk = 1\n", table: "t", key: "k", value: "v", invalid: true},
		{name: "table name not a table", in: "t = 1\n", table: "t", key: "k", value: "v", invalid: true},
		{name: "bad literal", in: "", table: "t", key: "k", value: Literal("not a value")},
		{name: "neither a string nor a bool", in: "", table: "t", key: "k", value: 1},
		{name: "empty key", in: "", table: "t", key: "", value: "v"},
		{name: "bad table name", in: "", table: "a..b", key: "k", value: "v"},
		{name: "string not UTF-8", in: "", table: "t", key: "k", value: "a\xffb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SetKey([]byte(tc.in), tc.table, tc.key, tc.value)
			if err == nil {
				t.Fatalf("SetKey = %q, want error", got)
			}
			if tc.invalid != errors.Is(err, ErrInvalid) {
				t.Fatalf("errors.Is(err, ErrInvalid) = %v, want %v (err: %v)", !tc.invalid, tc.invalid, err)
			}
		})
	}
}

// TestEncodeValue: each value is written in the form go-toml writes it, and
// go-toml's decoder reads it back as the same value.
func TestEncodeValue(t *testing.T) {
	tests := []struct {
		value any
		want  string
	}{
		{"abc", `'abc'`},
		{"", `''`},
		{"tab\there", "'tab\there'"},
		{"it's", `"it's"`},
		{`a "quoted" \ path`, `'a "quoted" \ path'`},
		{"it's \"x\" \\", `"it's \"x\" \\"`},
		{"line\nbreak\r\n", `"line\nbreak\r\n"`},
		{"\b\f\x00\x1f\x7f", `"\b\f\u0000\u001F\u007F"`},
		{"naïve ☃ 🎉", `'naïve ☃ 🎉'`},
		{"\u2028", "'\u2028'"},
		{true, "true"},
		{false, "false"},
		{Literal(`"x"`), `"x"`},
	}
	for _, tc := range tests {
		got, err := encodeValue(tc.value)
		if err != nil {
			t.Fatalf("encodeValue(%q): %v", tc.value, err)
		}
		if got != tc.want {
			t.Errorf("encodeValue(%q) = %s, want %s", tc.value, got, tc.want)
		}
		var doc map[string]any
		if err := toml.Unmarshal([]byte("k = "+got), &doc); err != nil {
			t.Fatalf("go-toml cannot read %s: %v", got, err)
		}
		if _, lit := tc.value.(Literal); !lit && doc["k"] != tc.value {
			t.Errorf("%s reads back as %q, want %q", got, doc["k"], tc.value)
		}
	}
}

// FuzzSetKey checks, for any input that parses, that the result parses,
// holds the new value, and holds every other value of the input unchanged.
func FuzzSetKey(f *testing.F) {
	f.Add("[telemetry]\nuuid = 'x'\n", "telemetry", "uuid", "v")
	f.Add("# c\n[tool.a]\nb = 1\n", "tool.a_telemetry", "project_id", "v")
	f.Add("a = \"\"\"\n[t]\n\"\"\"", "t", "k", "v")
	f.Add("[t]\nk.x = 1\n", "t.k", "y", "v")
	f.Fuzz(func(t *testing.T, in, table, key, value string) {
		var before map[string]any
		if toml.Unmarshal([]byte(in), &before) != nil {
			return
		}
		out, err := SetKey([]byte(in), table, key, value)
		if err != nil {
			return
		}
		var after map[string]any
		if err := toml.Unmarshal(out, &after); err != nil {
			t.Fatalf("SetKey produced invalid TOML %q: %v", out, err)
		}
		tbl := after
		if table != "" {
			for _, p := range strings.Split(table, ".") {
				next, ok := tbl[p].(map[string]any)
				if !ok {
					t.Fatalf("table %q missing in %q", table, out)
				}
				tbl = next
			}
		}
		if tbl[key] != value {
			t.Fatalf("%s.%s = %#v, want %#v in %q", table, key, tbl[key], value, out)
		}
		delete(tbl, key)
		prune(after)
		del(before, table, key)
		prune(before)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("other values changed:\nin  %q\nout %q", in, out)
		}
	})
}

// del removes table.key from doc, if present.
func del(doc map[string]any, table, key string) {
	tbl := doc
	if table != "" {
		for _, p := range strings.Split(table, ".") {
			next, ok := tbl[p].(map[string]any)
			if !ok {
				return
			}
			tbl = next
		}
	}
	delete(tbl, key)
}

// prune removes empty tables, which SetKey may legitimately create.
func prune(m map[string]any) bool {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && prune(sub) {
			delete(m, k)
		}
	}
	return len(m) == 0
}

func BenchmarkSetKey(b *testing.B) {
	in := []byte("# user settings\n[telemetry]\nconsent = true\n\n[other]\nx = 1\n")
	for b.Loop() {
		if _, err := SetKey(in, "telemetry", "uuid", "0f8fad5b-d9cb-469f-a165-70867728950e"); err != nil {
			b.Fatal(err)
		}
	}
}
