package identity

import (
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// TestScanMatchesFullDecode: the linear scan answers as a full go-toml
// decode would, for the shapes a project file takes.
func TestScanMatchesFullDecode(t *testing.T) {
	docs := []string{
		"[tool.pipectl]\npackage_name = 'p'\n",
		"[tool.pipectl]\n[tool.pipectl_telemetry]\nproject_id = 'abc'\n",
		"[tool]\npipectl.package_name = \"dotted\"\npipectl_telemetry.project_id = \"x\"\n",
		"tool.pipectl.package_name = 'root dotted'\n",
		"[tool]\npipectl = { package_name = 'inline', n = { a = 1 } }\n",
		"tool = { pipectl = 1 }\n",
		"[[tool.pipectl]]\npackage_name = 'in an array'\n",
		"[[tool]]\n[tool.pipectl]\npackage_name = 'under an array'\n",
		"[tool.pipectl.sub]\nx = 1\n",
		"[tool]\n\"pipectl.package_name\" = 'quoted dot'\n",
		"[tool.\"pipectl\"]\n'package_name' = \"quoted parts\"\n",
		"[tool.pipectl]\npackage_name = 3\n[tool.pipectl_telemetry]\nproject_id = 5\n",
		"[tool.pipectl]\npackage_name = '''multi\nline'''\n",
		"[tool.pipectl]\npackage_name = \"esc\\u00e9\\t\"\n",
		"[tool.pipectl_telemetry]\nproject_id = 'x'\n",
		"[project]\nname = 'x'\n",
		"",
	}
	for _, doc := range docs {
		var m map[string]any
		if err := toml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("corpus entry is not TOML: %q: %v", doc, err)
		}
		got, err := scan([]byte(doc), pipectl)
		if err != nil {
			t.Fatalf("scan(%q): %v", doc, err)
		}
		_, marker := lookup(m, "tool.pipectl").(map[string]any)
		pkg, _ := lookup(m, "tool.pipectl.package_name").(string)
		id := lookup(m, "tool.pipectl_telemetry.project_id")
		if got.marker != marker || got.pkg != pkg {
			t.Errorf("scan(%q) = marker %v, package %q; decode says %v, %q", doc, got.marker, got.pkg, marker, pkg)
		}
		if s, isString := id.(string); isString && got.id != s || !isString && (id == nil) != (got.id == nil) {
			t.Errorf("scan(%q) id = %#v; decode says %#v", doc, got.id, id)
		}
	}
}

// TestScanRefusesWhatDecodeRefuses: broken files and names defined twice.
func TestScanRefusesWhatDecodeRefuses(t *testing.T) {
	for _, doc := range []string{
		"[tool.pipectl\n",
		"[tool.pipectl]\npackage_name = 'a'\npackage_name = 'b'\n",
		"[tool.pipectl]\n[tool.pipectl]\n",
		"[tool]\npipectl = 1\n[tool.pipectl]\n",
		"[tool.pipectl]\nx = { a = 1, a = 2 }\n",
		"\x00\xff",
	} {
		var m map[string]any
		if toml.Unmarshal([]byte(doc), &m) == nil {
			t.Fatalf("corpus entry is valid TOML: %q", doc)
		}
		if _, err := scan([]byte(doc), pipectl); err == nil {
			t.Errorf("scan(%q) accepted it", doc)
		}
	}
}

// lookup returns the value at a dotted path in a decoded document, or nil.
func lookup(doc map[string]any, dotted string) any {
	var cur any = doc
	for _, part := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
