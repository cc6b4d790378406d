package project_test

import (
	"fmt"
	"os"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

func ExampleStats() {
	parent, err := os.MkdirTemp("", "pipectl-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(parent)
	root, err := project.Create(project.NewOptions{Name: "spaceflights", Directory: parent, Example: true, ToolVersion: "0.3.0"})
	if err != nil {
		panic(err)
	}
	datasets, nodes, pipelines, err := project.Stats(root)
	fmt.Println(datasets, nodes, pipelines, err)
	// Output: 6 4 3 <nil>
}

func ExamplePackageName() {
	fmt.Println(project.PackageName("My Spaceflights-2"))
	// Output: my_spaceflights_2
}
