package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// microBenchmarks runs the in-process benchmarks that the cost goals name
// in five rounds and prints the median of each, and the pipeline's ratios.
func microBenchmarks(out io.Writer) error {
	const rounds = 5
	args := []string{"test", "-run", "^$", "-benchmem", "-count", "1",
		"-bench", "BenchmarkPipeline|BenchmarkOnEndClean|BenchmarkManyArgs|BenchmarkSpoolWrite|BenchmarkEncode|BenchmarkUpload$|BenchmarkConsentOff|BenchmarkConsentOn",
		"./processor", "./internal/spool", "./instrument"}
	type result struct{ metrics map[string][]float64 }
	results := map[string]*result{}
	var order []string
	// A round runs each benchmark once, so a pipeline's plain and processor
	// runs of one round are back to back: their ratio cancels the drift of
	// the machine between rounds (-count 5 would run each five times in a
	// row).
	for range rounds {
		cmd := exec.Command("go", args...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, buf.String())
		}
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
				continue
			}
			name := f[0]
			if i := strings.LastIndex(name, "-"); i > 0 {
				name = name[:i] // the GOMAXPROCS suffix
			}
			r := results[name]
			if r == nil {
				r = &result{metrics: map[string][]float64{}}
				results[name] = r
				order = append(order, name)
			}
			for i := 2; i+1 < len(f); i += 2 {
				if v, err := strconv.ParseFloat(f[i], 64); err == nil {
					r.metrics[f[i+1]] = append(r.metrics[f[i+1]], v)
				}
			}
		}
	}
	fmt.Fprintln(out, "| in-process benchmark (median of 5) | time/op | B/op | allocs/op | other |")
	fmt.Fprintln(out, "|---|---|---|---|---|")
	for _, name := range order {
		m := results[name].metrics
		var other []string
		for unit, vs := range m {
			switch unit {
			case "ns/op", "B/op", "allocs/op":
			default:
				other = append(other, fmt.Sprintf("%.3g %s", med(vs), unit))
			}
		}
		slices.Sort(other)
		fmt.Fprintf(out, "| %s | %s | %.0f | %.0f | %s |\n", strings.TrimPrefix(name, "Benchmark"),
			duration(med(m["ns/op"])), med(m["B/op"]), med(m["allocs/op"]), strings.Join(other, ", "))
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| pipeline: spans/s with the processor over the batcher alone | median of the 5 rounds | lowest | highest |")
	fmt.Fprintln(out, "|---|---|---|---|")
	for _, name := range order {
		kind, ok := strings.CutSuffix(name, "/plain")
		if !ok || results[kind+"/processor"] == nil {
			continue
		}
		plain, proc := results[name].metrics["ns/op"], results[kind+"/processor"].metrics["ns/op"]
		var ratios []float64
		for i := range min(len(plain), len(proc)) {
			ratios = append(ratios, plain[i]/proc[i])
		}
		slices.Sort(ratios)
		if len(ratios) > 0 {
			fmt.Fprintf(out, "| %s | %.2f× | %.2f× | %.2f× |\n", strings.TrimPrefix(kind, "Benchmark"), med(ratios), ratios[0], ratios[len(ratios)-1])
		}
	}
	return nil
}

func med(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[len(s)/2]
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
