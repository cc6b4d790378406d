// Package engine runs pipectl pipelines: it loads the datasets a node needs
// through the project's data catalog (CSV files or memory), applies the
// node's built-in operation and saves the results, one node after another
// or, with the parallel runner, independent nodes concurrently.
package engine
