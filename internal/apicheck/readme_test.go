package apicheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeUsingItBuilds pastes the Go code of the README's "Using it"
// section into a new module that requires anontel, as a tool author would,
// and builds it.
func TestReadmeUsingItBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	i := strings.Index(section, "## Using it")
	if i < 0 {
		t.Fatal("README has no \"## Using it\" section")
	}
	section = section[i:]
	start := strings.Index(section, "```go\n")
	end := strings.Index(section[start+6:], "```")
	if start < 0 || end < 0 {
		t.Fatal("no Go code in \"Using it\"")
	}
	code := section[start+6 : start+6+end]
	imports, body, ok := strings.Cut(code, ")\n")
	if !ok || !strings.HasPrefix(imports, "import (") {
		t.Fatalf("the snippet does not start with its imports:\n%s", code)
	}
	src := "package main\n\n" + imports + "\n\t\"github.com/spf13/cobra\"\n)\n\n" + `
// What the snippet takes from the tool around it.
const version = "1.0.0"

var runCmd = &cobra.Command{Use: "run", Run: func(*cobra.Command, []string) {}}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{Use: "pipectl"}
	runCmd.Flags().String("runner", "sequential", "")
	root.AddCommand(runCmd)
	return root
}

func countDatasetsNodesPipelines(string) (int, int, int, error) { return 1, 2, 3, nil }

func main() {
` + body + "\n\t_ = err\n}\n"
	dir := t.TempDir()
	gomod := "module example.com/newtool\n\ngo 1.26\n\nrequire github.com/anontel/anontel v0.0.0\n\nreplace github.com/anontel/anontel => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", os.DevNull, "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s\n--- main.go\n%s", strings.Join(args, " "), err, out, src)
		}
	}
}
