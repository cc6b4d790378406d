package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"
)

// File and folder names of a project, relative to its root.
const (
	PyprojectFile  = "pyproject.toml"
	PipelinesFile  = "pipelines.yml"
	ConfDir        = "conf"
	BaseEnv        = "base"
	CatalogFile    = "catalog.yml"
	ParametersFile = "parameters.yml"
)

// DefaultEnv is the configuration environment used when none is named; its
// folder may be absent.
const DefaultEnv = "local"

// DefaultPipeline is the pipeline run when none is named.
const DefaultPipeline = "__default__"

// ErrNotInProject reports that no folder from the starting one up to the
// file-system root holds a pyproject.toml with a [tool.pipectl] table.
var ErrNotInProject = errors.New("not inside a pipectl project (no pyproject.toml with a [tool.pipectl] table here or in any parent folder)")

// Settings are the project's own settings from pyproject.toml.
type Settings struct {
	ProjectName     string   // [project] name
	PackageName     string   // [tool.pipectl] package_name
	Tools           []string // [tool.pipectl] tools
	ExamplePipeline bool     // [tool.pipectl] example_pipeline
}

type pyproject struct {
	Project struct {
		Name string `toml:"name"`
	} `toml:"project"`
	Tool struct {
		Pipectl *struct {
			PackageName     string   `toml:"package_name"`
			Tools           []string `toml:"tools"`
			ExamplePipeline bool     `toml:"example_pipeline"`
		} `toml:"pipectl"`
	} `toml:"tool"`
}

// readPyproject parses dir's pyproject.toml. ok is false when the file is
// absent or has no [tool.pipectl] table.
func readPyproject(dir string) (s Settings, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, PyprojectFile))
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, fmt.Errorf("project: reading %s: %w", PyprojectFile, err)
	}
	var p pyproject
	if err := toml.Unmarshal(data, &p); err != nil {
		return Settings{}, false, fmt.Errorf("project: parsing %s: %w", filepath.Join(dir, PyprojectFile), err)
	}
	if p.Tool.Pipectl == nil {
		return Settings{}, false, nil
	}
	return Settings{
		ProjectName:     p.Project.Name,
		PackageName:     p.Tool.Pipectl.PackageName,
		Tools:           p.Tool.Pipectl.Tools,
		ExamplePipeline: p.Tool.Pipectl.ExamplePipeline,
	}, true, nil
}

// FindRoot returns the nearest folder, starting at dir and walking up, whose
// pyproject.toml has a [tool.pipectl] table. It returns ErrNotInProject when
// there is none.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("project: resolving %s: %w", dir, err)
	}
	for {
		_, ok, err := readPyproject(dir)
		if err != nil {
			return "", err
		}
		if ok {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInProject
		}
		dir = parent
	}
}

// ReadSettings returns the settings of the project rooted at root.
func ReadSettings(root string) (Settings, error) {
	s, ok, err := readPyproject(root)
	if err != nil {
		return Settings{}, err
	}
	if !ok {
		return Settings{}, ErrNotInProject
	}
	return s, nil
}
