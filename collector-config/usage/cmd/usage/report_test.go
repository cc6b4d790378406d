package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/report"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

// demo loads the generator's demo data into a fresh database.
func demo(t *testing.T) (db string, ev []synth.Event) {
	t.Helper()
	dir := t.TempDir()
	ev = synth.Generate(synth.Demo())
	f := filepath.Join(dir, "spans.jsonl")
	writeExport(t, f, exportfile.Options{}, ev)
	db = filepath.Join(dir, "usage.duckdb")
	if code, _, stderr := usage(t, "load", "--db", db, f); code != 0 {
		t.Fatalf("load: %d\n%s", code, stderr)
	}
	return db, ev
}

func TestReportFormats(t *testing.T) {
	db, ev := demo(t)
	var runs, ci int
	for _, e := range ev {
		if e.Command == "run" {
			runs++
		}
		if e.CI {
			ci++
		}
	}
	get := func(format string) string {
		code, out, stderr := usage(t, "report", "--db", db, "--format", format)
		if code != 0 {
			t.Fatalf("report --format %s: exit %d\n%s", format, code, stderr)
		}
		return out
	}

	var r report.Report
	if err := json.Unmarshal([]byte(get("json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Invocations != int64(len(ev)) || r.Commands[0].Command != "run" || r.Commands[0].Invocations != int64(runs) {
		t.Errorf("json: %d invocations, first command %+v; want %d, run %d", r.Invocations, r.Commands[0], len(ev), runs)
	}

	// CSV: blocks of records, each with the table's id first.
	tables := map[string][][]string{}
	for _, block := range strings.Split(strings.TrimSpace(get("csv")), "\n\n") {
		recs, err := csv.NewReader(strings.NewReader(block)).ReadAll()
		if err != nil {
			t.Fatalf("csv block does not parse: %v\n%s", err, block)
		}
		if recs[0][0] != "table" {
			t.Fatalf("csv block header %v", recs[0])
		}
		tables[recs[1][0]] = recs
	}
	if len(tables) != len(r.Tables()) {
		t.Errorf("csv has %d tables, want %d", len(tables), len(r.Tables()))
	}
	ciRow := tables["ci"]
	found := false
	for _, rec := range ciRow[1:] {
		if rec[1] == "CI" && rec[2] == itoa(ci) {
			found = true
		}
	}
	if !found {
		t.Errorf("csv ci table %v lacks CI,%d", ciRow, ci)
	}

	md := get("markdown")
	for _, want := range []string{"### 2. Commands by invocations and users; failures", "| command | invocations | users |", "| run | " + itoa(runs) + " |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	text := get("text")
	for _, want := range []string{"Summary", "1. Weekly retention", "7. CI vs interactive", "run", itoa(runs)} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"report", "--db", filepath.Join(dir, "none.duckdb")}, "no database at"},
		{[]string{"report", "--db", filepath.Join(dir, "none.duckdb"), "--since", "last week"}, "--since \"last week\""},
	} {
		code, _, stderr := usage(t, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, stderr %q; want it to say %q", tc.args, code, stderr, tc.says)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSQL(t *testing.T) {
	db, ev := demo(t)
	users := map[string]bool{}
	for _, e := range ev {
		if e.UserID != "" {
			users[e.UserID] = true
		}
	}
	code, out, stderr := usage(t, "sql", "--db", db, "SELECT count(DISTINCT enduser_pseudo_id) AS users FROM invocations")
	if code != 0 || !strings.Contains(out, "users\n"+strconv.Itoa(len(users))+"\n") {
		t.Errorf("sql: exit %d\n%s%s", code, out, stderr)
	}
	// Statements from stdin; a bad one fails the run but not the others.
	var o, e strings.Builder
	code = run(t.Context(), []string{"sql", "--db", db}, strings.NewReader(
		"SELECT command, count(*) AS n FROM invocations\n WHERE command = 'run' GROUP BY command;\nSELECT nope FROM invocations;\nSELECT 42 AS answer;\n"), &o, &e)
	if code != 1 || !strings.Contains(o.String(), "run ") || !strings.Contains(o.String(), "42") || !strings.Contains(e.String(), "nope") {
		t.Errorf("sql from stdin: exit %d\n%s%s", code, o.String(), e.String())
	}
	// Read-only: the database cannot be changed from here.
	code, _, stderr = usage(t, "sql", "--db", db, "DELETE FROM spans")
	if code == 0 || !strings.Contains(strings.ToLower(stderr), "read-only") {
		t.Errorf("a DELETE through usage sql: exit %d, %s", code, stderr)
	}
	code, out, _ = usage(t, "sql", "--schema")
	if code != 0 || !strings.Contains(out, "enduser_pseudo_id") || !strings.Contains(out, "enduser.pseudo.id") {
		t.Errorf("sql --schema:\n%s", out)
	}
}
