package identity_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/anontel/anontel/identity"
)

func ExampleUserID() {
	home, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(home)
	path := filepath.Join(home, "pipectl", "telemetry.toml") // userfile.Path("pipectl") in a real tool

	id, err := identity.UserID(path) // created on first use (only call it with consent on)
	if err != nil {
		return // no id this run; the tool carries on
	}
	again, _ := identity.UserID(path)
	fmt.Println(len(id), id == again)
	// Output: 36 true
}

func ExampleProjectFile_Find() {
	root, _ := os.MkdirTemp("", "project")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "pyproject.toml"), []byte("[tool.pipectl]\npackage_name = \"demo\"\n"), 0o644)
	p := identity.ProjectFile{Name: "pyproject.toml", Table: "tool.pipectl", PackageNameKey: "package_name",
		IDTable: "tool.pipectl_telemetry", IDKey: "project_id"}

	project, ok := p.Find(root) // every command: reads the file once, writes nothing
	fmt.Println(ok, project.Root == root)

	// Later, only with consent on: no second read when the id is stored.
	hash, err := project.ID()
	fmt.Println(len(hash), err)
	// Output:
	// true true
	// 128 <nil>
}
