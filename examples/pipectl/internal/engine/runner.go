package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/anontel/anontel/examples/pipectl/internal/project"
)

// maxParallel bounds the nodes the parallel runner runs at once.
const maxParallel = 8

// Config says what to run.
type Config struct {
	Project  *project.Config
	Pipeline string    // "" means project.DefaultPipeline
	Nodes    []string  // run only these nodes of the pipeline; nil runs all
	Parallel bool      // run independent nodes concurrently
	Async    bool      // save outputs in the background while later nodes run
	Out      io.Writer // receives "Running node: <name>" lines; nil discards

	ops map[string]operation // nil means the built-in operations; tests add their own
}

// Result describes a completed run.
type Result struct {
	Pipeline string
	NodesRun int
	Saved    []string // datasets written to files, in the order saved
}

// Run executes the pipeline's nodes in dependency order (declaration order
// among independent nodes). It stops at the first failing node.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Pipeline == "" {
		cfg.Pipeline = project.DefaultPipeline
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.ops == nil {
		cfg.ops = operations
	}
	nodes, err := cfg.Project.Nodes(cfg.Pipeline)
	if err != nil {
		return Result{}, err
	}
	if nodes, err = selectNodes(nodes, cfg.Nodes); err != nil {
		return Result{}, err
	}
	for _, n := range nodes {
		if _, ok := cfg.ops[n.Operation]; !ok {
			return Result{}, fmt.Errorf("node %q: unknown operation %q (known: %s)", n.Name, n.Operation, strings.Join(Operations(), ", "))
		}
	}
	g, err := newGraph(nodes)
	if err != nil {
		return Result{}, err
	}
	r := &run{cfg: cfg, mem: map[string]any{}}
	r.out = &lockedWriter{w: cfg.Out}
	if cfg.Parallel {
		err = r.parallel(ctx, nodes, g)
	} else {
		err = r.sequential(ctx, nodes, g)
	}
	r.saves.Wait()
	err = errors.Join(append([]error{err}, r.saveErrs...)...)
	return Result{Pipeline: cfg.Pipeline, NodesRun: r.nodesRun, Saved: r.saved}, err
}

func selectNodes(nodes []project.Node, names []string) ([]project.Node, error) {
	if len(names) == 0 {
		return nodes, nil
	}
	var out []project.Node
	for _, name := range names {
		i := slices.IndexFunc(nodes, func(n project.Node) bool { return n.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("node %q is not in the pipeline", name)
		}
		if !slices.ContainsFunc(out, func(n project.Node) bool { return n.Name == name }) {
			out = append(out, nodes[i])
		}
	}
	// Keep pipeline order, not the order names were given in.
	slices.SortStableFunc(out, func(a, b project.Node) int {
		return slices.IndexFunc(nodes, func(n project.Node) bool { return n.Name == a.Name }) -
			slices.IndexFunc(nodes, func(n project.Node) bool { return n.Name == b.Name })
	})
	return out, nil
}

// graph holds the dependencies between nodes, by index.
type graph struct {
	indegree   []int
	dependents [][]int
	order      []int // a topological order, stable in declaration order
}

func newGraph(nodes []project.Node) (*graph, error) {
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if project.IsParameter(o) {
				return nil, fmt.Errorf("node %q: cannot write parameters (%s)", n.Name, o)
			}
			if j, dup := producer[o]; dup {
				return nil, fmt.Errorf("dataset %q is written by both node %q and node %q", o, nodes[j].Name, n.Name)
			}
			producer[o] = i
		}
	}
	g := &graph{indegree: make([]int, len(nodes)), dependents: make([][]int, len(nodes))}
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if j, ok := producer[in]; ok && !slices.Contains(g.dependents[j], i) {
				g.dependents[j] = append(g.dependents[j], i)
				g.indegree[i]++
			}
		}
	}
	left := slices.Clone(g.indegree)
	done := make([]bool, len(nodes))
	for len(g.order) < len(nodes) {
		next := -1
		for i := range nodes {
			if !done[i] && left[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, errors.New("the pipeline's nodes depend on each other in a cycle")
		}
		done[next] = true
		g.order = append(g.order, next)
		for _, d := range g.dependents[next] {
			left[d]--
		}
	}
	return g, nil
}

type run struct {
	cfg Config
	out *lockedWriter

	mu       sync.Mutex // guards mem, saved, nodesRun, saveErrs
	mem      map[string]any
	saved    []string
	nodesRun int
	saveErrs []error
	saves    sync.WaitGroup
}

func (r *run) sequential(ctx context.Context, nodes []project.Node, g *graph) error {
	for _, i := range g.order {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.runNode(nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) parallel(ctx context.Context, nodes []project.Node, g *graph) error {
	type finished struct {
		i   int
		err error
	}
	left := slices.Clone(g.indegree)
	var ready []int
	for _, i := range g.order {
		if left[i] == 0 {
			ready = append(ready, i)
		}
	}
	done := make(chan finished)
	running := 0
	var firstErr error
	for {
		for firstErr == nil && len(ready) > 0 && running < maxParallel {
			if err := ctx.Err(); err != nil {
				firstErr = err
				break
			}
			i := ready[0]
			ready = ready[1:]
			running++
			go func() { done <- finished{i, r.runNode(nodes[i])} }()
		}
		if running == 0 {
			return firstErr
		}
		f := <-done
		running--
		if f.err != nil {
			if firstErr == nil {
				firstErr = f.err
			}
			continue
		}
		for _, d := range g.dependents[f.i] {
			if left[d]--; left[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
}

func (r *run) runNode(n project.Node) error {
	fmt.Fprintf(r.out, "Running node: %s\n", n.Name)
	in := make([]any, len(n.Inputs))
	for i, name := range n.Inputs {
		v, err := r.load(name)
		if err != nil {
			return fmt.Errorf("node %q: %w", n.Name, err)
		}
		in[i] = v
	}
	out, err := r.cfg.ops[n.Operation](n.Inputs, in, len(n.Outputs))
	if err != nil {
		return fmt.Errorf("node %q: %w", n.Name, err)
	}
	if len(out) != len(n.Outputs) {
		return fmt.Errorf("node %q: operation %s returned %d outputs, the node declares %d", n.Name, n.Operation, len(out), len(n.Outputs))
	}
	for i, name := range n.Outputs {
		if err := r.save(name, out[i]); err != nil {
			return fmt.Errorf("node %q: %w", n.Name, err)
		}
	}
	r.mu.Lock()
	r.nodesRun++
	r.mu.Unlock()
	return nil
}

func (r *run) load(name string) (any, error) {
	p := r.cfg.Project
	if name == "parameters" {
		return p.Parameters, nil
	}
	if key, ok := strings.CutPrefix(name, "params:"); ok {
		v, ok := p.Parameter(key)
		if !ok {
			return nil, fmt.Errorf("parameter %q not found", key)
		}
		return v, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.mem[name]; ok {
		return v, nil
	}
	d, ok := p.Catalog[name]
	if !ok {
		return nil, fmt.Errorf("dataset %q is not in the catalog and no earlier node produces it", name)
	}
	s, err := storageOf(name, d)
	if err != nil {
		return nil, err
	}
	if s == inMemory {
		return nil, fmt.Errorf("memory dataset %q has no data: no earlier node produces it", name)
	}
	t, err := ReadCSV(filepath.Join(p.Root, filepath.FromSlash(d.Filepath)))
	if err != nil {
		return nil, fmt.Errorf("loading dataset %q: %w", name, err)
	}
	r.mem[name] = t
	return t, nil
}

func (r *run) save(name string, v any) error {
	d, inCatalog := r.cfg.Project.Catalog[name]
	s := inMemory
	if inCatalog {
		var err error
		if s, err = storageOf(name, d); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.mem[name] = v
	r.mu.Unlock()
	if s != csvFile {
		return nil
	}
	t, ok := v.(*Table)
	if !ok {
		return fmt.Errorf("dataset %q is a CSV file but the node produced %T", name, v)
	}
	path := filepath.Join(r.cfg.Project.Root, filepath.FromSlash(d.Filepath))
	write := func() error {
		if err := WriteCSV(path, t); err != nil {
			return fmt.Errorf("saving dataset %q: %w", name, err)
		}
		r.mu.Lock()
		r.saved = append(r.saved, name)
		r.mu.Unlock()
		return nil
	}
	if !r.cfg.Async {
		return write()
	}
	r.saves.Go(func() {
		if err := write(); err != nil {
			r.mu.Lock()
			r.saveErrs = append(r.saveErrs, err)
			r.mu.Unlock()
		}
	})
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
