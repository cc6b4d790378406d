package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/anontel/anontel/collector-config/usage/store"
)

// TestViewDocumented: the documented columns are the view's, in order and
// type, and README.md lists each.
func TestViewDocumented(t *testing.T) {
	db := open(t)
	rows, err := db.QueryContext(context.Background(),
		`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'invocations' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []store.Column
	for rows.Next() {
		var c store.Column
		rows.Scan(&c.Name, &c.Type)
		got = append(got, c)
	}
	if len(got) != len(store.View) {
		t.Fatalf("the view has %d columns, the documentation %d", len(got), len(store.View))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range store.View {
		if got[i].Name != c.Name || !strings.EqualFold(strings.ReplaceAll(got[i].Type, `"`, ""), c.Type) {
			t.Errorf("column %d is %s %s, documented as %s %s", i, got[i].Name, got[i].Type, c.Name, c.Type)
		}
		if !strings.Contains(string(readme), "| `"+c.Name+"` |") {
			t.Errorf("README.md does not document the column %s", c.Name)
		}
	}
}
