package apicheck

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite api.txt from the code")

// publicPackages are the packages a tool author or an existing-OTel program
// imports; everything else is under internal/ or examples/.
var publicPackages = []string{"consent", "exporter", "identity", "instrument", "instrument/cobracli", "processor"}

// Budgets from the API review (issue 10): few names, few in exporter.
const (
	maxNames         = 75
	maxExporterNames = 10
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// api lists the exported API of the package in dir for the given build
// tags, one declaration a line.
func api(t *testing.T, dir, pkg string, tags []string) []string {
	t.Helper()
	ctx := build.Default
	ctx.BuildTags = tags
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	fset := token.NewFileSet()
	var lines []string
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			lines = append(lines, declLines(fset, pkg, decl)...)
		}
	}
	slices.Sort(lines)
	return lines
}

func declLines(fset *token.FileSet, pkg string, decl ast.Decl) []string {
	var out []string
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return nil
		}
		if d.Recv != nil && !exportedRecv(d.Recv) {
			return nil
		}
		fn := *d
		fn.Doc, fn.Body = nil, nil
		out = append(out, pkg+": "+render(fset, &fn))
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				ts := *s
				ts.Doc, ts.Comment = nil, nil
				ts.Type = exportedOnly(ts.Type)
				out = append(out, pkg+": type "+render(fset, &ts))
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						out = append(out, fmt.Sprintf("%s: %s %s", pkg, d.Tok, n.Name))
					}
				}
			}
		}
	}
	return out
}

func exportedRecv(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// exportedOnly drops the unexported fields and methods of a struct or
// interface, and every comment.
func exportedOnly(e ast.Expr) ast.Expr {
	keep := func(fl *ast.FieldList) *ast.FieldList {
		out := &ast.FieldList{}
		for _, f := range fl.List {
			var names []*ast.Ident
			for _, n := range f.Names {
				if n.IsExported() {
					names = append(names, n)
				}
			}
			if len(f.Names) > 0 && len(names) == 0 {
				continue
			}
			out.List = append(out.List, &ast.Field{Names: names, Type: f.Type})
		}
		return out
	}
	switch x := e.(type) {
	case *ast.StructType:
		return &ast.StructType{Fields: keep(x.Fields)}
	case *ast.InterfaceType:
		return &ast.InterfaceType{Methods: keep(x.Methods)}
	}
	return e
}

func render(fset *token.FileSet, node any) string {
	var b bytes.Buffer
	printer.Fprint(&b, fset, node)
	return strings.Join(strings.Fields(b.String()), " ")
}

func TestAPI(t *testing.T) {
	root := repoRoot(t)
	var all []string
	names := map[string]int{}
	for _, pkg := range publicPackages {
		dir := filepath.Join(root, pkg)
		def := api(t, dir, pkg, nil)
		if off := api(t, dir, pkg, []string{"notelemetry"}); !slices.Equal(def, off) {
			t.Errorf("%s: the notelemetry build's API differs:\n default: %q\n notelemetry: %q", pkg, def, off)
		}
		all = append(all, def...)
		names[pkg] = len(def)
	}
	// Public aliases of internal types: their fields are promises too.
	internal := api(t, filepath.Join(root, "internal", "mask"), "internal/mask", nil)
	for _, line := range slices.Clone(all) {
		_, target, ok := strings.Cut(line, " = mask.")
		if !ok {
			continue
		}
		for _, l := range internal {
			if strings.HasPrefix(l, "internal/mask: type "+target+" ") {
				all = append(all, strings.Replace(l, "internal/mask:", "internal/mask (public as "+strings.SplitN(line, ":", 2)[0]+"."+target+"):", 1))
			}
		}
	}
	total := 0
	for _, n := range names {
		total += n
	}
	if total > maxNames || names["exporter"] > maxExporterNames {
		t.Errorf("%d exported names (budget %d), exporter %d (budget %d): %v", total, maxNames, names["exporter"], maxExporterNames, names)
	}
	got := strings.Join(all, "\n") + "\n"
	path := filepath.Join(root, "api.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/apicheck -update)", err)
	}
	if string(want) != got {
		t.Errorf("the public API differs from api.txt; review the change, then run: go test ./internal/apicheck -update\n--- api.txt\n%s\n--- code\n%s", want, got)
	}
}
