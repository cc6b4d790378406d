// Package project reads and writes pipectl projects: it finds a project's
// root, loads its settings (pyproject.toml), data catalog, parameters and
// pipeline definitions with per-environment overrides, scaffolds new
// projects and counts the statistics a telemetry hook reports.
//
// Layout of a project:
//
//	pyproject.toml          [project] and [tool.pipectl] tables
//	pipelines.yml           pipelines -> ordered nodes
//	conf/base/catalog.yml   datasets: name -> {type, filepath}
//	conf/base/parameters.yml
//	conf/<env>/...          overrides of catalog.yml and parameters.yml
package project
