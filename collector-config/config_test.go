package jaegere2e

// Checks of the collector's configuration as files: the builder manifest
// against the committed generated sources, the allow-list against the
// README's span contract, and every config against the real binary.

import (
	"bytes"
	"context"
	"encoding/json"
	"go/format"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// builderVersion is the collector builder (ocb) release that generated
// ./otelcol; the Makefile's collector-generate target uses the same.
const builderVersion = "v0.161.0"

type manifest struct {
	Dist struct {
		Module     string `yaml:"module"`
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
		OutputPath string `yaml:"output_path"`
	} `yaml:"dist"`
	Receivers  []component `yaml:"receivers"`
	Processors []component `yaml:"processors"`
	Exporters  []component `yaml:"exporters"`
	Extensions []component `yaml:"extensions"`
	Providers  []component `yaml:"providers"`
	Telemetry  component   `yaml:"telemetry"`
}

type component struct {
	GoMod string `yaml:"gomod"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	data, err := os.ReadFile("builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m manifest) modules() []string {
	var all []string
	for _, list := range [][]component{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Providers, {m.Telemetry}} {
		for _, c := range list {
			all = append(all, c.GoMod)
		}
	}
	return all
}

// TestManifestIsOneRelease: every component at v0.161.0, or v1.67.0 for
// core's stable modules of that same release.
func TestManifestIsOneRelease(t *testing.T) {
	m := readManifest(t)
	if m.Dist.OutputPath != "./otelcol" || m.Dist.Name != "otelcol-anontel" {
		t.Errorf("dist: output_path %q name %q", m.Dist.OutputPath, m.Dist.Name)
	}
	for _, mod := range m.modules() {
		path, version, _ := strings.Cut(mod, " ")
		want := builderVersion
		if strings.HasPrefix(path, "go.opentelemetry.io/collector/confmap") {
			want = "v1.67.0"
		}
		if version != want {
			t.Errorf("%s at %s, want %s", path, version, want)
		}
	}
}

// TestGeneratedSourcesMatchManifest regenerates the collector's sources from
// builder-config.yaml with the real builder and compares them with the
// committed ones, and checks that otelcol/go.mod requires exactly the
// manifest's modules.
func TestGeneratedSourcesMatchManifest(t *testing.T) {
	m := readManifest(t)
	tmp := t.TempDir()
	data, err := os.ReadFile("builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "builder-config.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// --skip-get-modules: generate only; go.mod is checked below instead.
	cmd := exec.CommandContext(ctx, "go", "run", "go.opentelemetry.io/collector/cmd/builder@"+builderVersion,
		"--config", "builder-config.yaml", "--skip-compilation", "--skip-get-modules")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		if proxyUnreachable(out) {
			t.Skipf("cannot run the builder: the Go module proxy is unreachable:\n%s", out)
		}
		t.Fatalf("builder: %v\n%s", err, out)
	}
	for _, f := range []string{"main.go", "main_others.go", "main_windows.go", "components.go"} {
		want, err := os.ReadFile(filepath.Join(tmp, "otelcol", f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("otelcol", f))
		if err != nil {
			t.Fatal(err)
		}
		// The committed sources are gofmt'ed (make test checks every Go
		// file); the builder's are not.
		if want, err = format.Source(want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("otelcol/%s differs from what the builder generates from builder-config.yaml; run make collector-generate", f)
		}
	}

	out, err := exec.Command("go", "mod", "edit", "-json", filepath.Join("otelcol", "go.mod")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var gomod struct {
		Module  struct{ Path string }
		Require []struct {
			Path, Version string
			Indirect      bool
		}
	}
	if err := json.Unmarshal(out, &gomod); err != nil {
		t.Fatal(err)
	}
	if gomod.Module.Path != m.Dist.Module {
		t.Errorf("otelcol/go.mod module %s, manifest %s", gomod.Module.Path, m.Dist.Module)
	}
	direct := map[string]string{}
	for _, r := range gomod.Require {
		if !r.Indirect {
			direct[r.Path] = r.Version
		}
	}
	for _, mod := range m.modules() {
		path, version, _ := strings.Cut(mod, " ")
		if direct[path] != version {
			t.Errorf("otelcol/go.mod requires %s at %q, manifest says %s", path, direct[path], version)
		}
	}
	if v := direct["go.opentelemetry.io/collector/otelcol"]; v != builderVersion {
		t.Errorf("otelcol/go.mod requires go.opentelemetry.io/collector/otelcol at %q, want %s", v, builderVersion)
	}
}

// TestAllowListMatchesREADME compares the keep_keys lists in otelcol.yaml,
// the one home of the allow-list, with the keys README.md's span contract
// documents, so that neither drifts from the other.
func TestAllowListMatchesREADME(t *testing.T) {
	span, resource, event := documentedKeys(t)
	allowed := allowList(t)
	for _, c := range []struct {
		ctx  string
		want []string
	}{{"span", span}, {"resource", resource}, {"spanevent", event}} {
		got := allowed[c.ctx]
		if !slices.Equal(got, c.want) {
			t.Errorf("keep_keys(%s.attributes): otelcol.yaml allows %v, README documents %v", c.ctx, got, c.want)
		}
	}
	if len(span) < 10 || len(resource) < 5 || len(event) != 1 {
		t.Errorf("README table parsed to too few keys: span %v resource %v event %v", span, resource, event)
	}
}

// documentedKeys reads the table under "The span: the public contract".
func documentedKeys(t *testing.T) (span, resource, event []string) {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "## The span: the public contract")
	if start < 0 {
		t.Fatal("README.md has no section 'The span: the public contract'")
	}
	text = text[start:]
	tick := regexp.MustCompile("`([^`]+)`")
	sets := map[string]map[string]bool{"span": {}, "resource": {}, "event": {}}
	rows := 0
	for line := range strings.SplitSeq(text, "\n") {
		if rows > 0 && !strings.HasPrefix(line, "|") {
			break // the table ended
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.Contains(line, "---") || strings.TrimSpace(cells[2]) == "key" {
			continue
		}
		rows++
		keyCell, where := cells[2], strings.TrimSpace(cells[3])
		var keys []string
		for _, m := range tick.FindAllStringSubmatch(keyCell, -1) {
			keys = append(keys, m[1])
		}
		switch {
		case strings.Contains(keyCell, " event"):
			// "`exception` event with `exception.type` only": the event's
			// name, then its attribute keys.
			for _, k := range keys[1:] {
				sets["event"][k] = true
			}
		case where == "resource":
			for _, k := range keys {
				sets["resource"][k] = true
			}
		case strings.HasPrefix(where, "span"):
			for _, k := range keys {
				sets["span"][k] = true
			}
		default:
			t.Fatalf("README row with an unknown place %q: %s", where, line)
		}
	}
	return slices.Sorted(maps.Keys(sets["span"])), slices.Sorted(maps.Keys(sets["resource"])), slices.Sorted(maps.Keys(sets["event"]))
}

// allowList reads the keep_keys statements of transform/allowlist.
func allowList(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile("otelcol.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Processors map[string]struct {
			TraceStatements []struct {
				Context    string   `yaml:"context"`
				Statements []string `yaml:"statements"`
			} `yaml:"trace_statements"`
		} `yaml:"processors"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^keep_keys\((\w+)\.attributes, \[(.*)\]\)$`)
	out := map[string][]string{}
	var statements []string
	for _, group := range cfg.Processors["transform/allowlist"].TraceStatements {
		statements = append(statements, group.Statements...)
	}
	for _, st := range statements {
		m := re.FindStringSubmatch(st)
		if m == nil {
			continue
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("two keep_keys statements for %s: keep one list per place", m[1])
		}
		var keys []string
		if m[2] != "" {
			if err := json.Unmarshal([]byte("["+m[2]+"]"), &keys); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
		}
		out[m[1]] = slices.Sorted(slices.Values(keys))
	}
	return out
}

// TestConfigsValidate runs the real binaries' validate command on every
// shipped config.
func TestConfigsValidate(t *testing.T) {
	bin := otelcolBinary(t)
	for _, cfgs := range [][]string{
		{"otelcol.yaml"},
		{"otelcol.yaml", "scaling/edge-forward.yaml"},
		{"scaling/processing-clickhouse.yaml"},
	} {
		t.Run(strings.Join(cfgs, "+"), func(t *testing.T) {
			args := []string{"validate", featureGates}
			for _, c := range cfgs {
				args = append(args, "--config", c)
			}
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("otelcol-anontel %v: %v\n%s", args, err, out)
			}
		})
	}
	t.Run("broken config fails", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		data, err := os.ReadFile("otelcol.yaml")
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte("keep_keys(span.attributes"), []byte("keep_keyz(span.attributes"), 1)
		if err := os.WriteFile(bad, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "validate", "--config", bad).CombinedOutput(); err == nil {
			t.Fatalf("validate accepted an unknown OTTL function:\n%s", out)
		}
	})
	t.Run("components", func(t *testing.T) {
		out, err := exec.Command(bin, "components").CombinedOutput()
		if err != nil {
			t.Fatalf("components: %v\n%s", err, out)
		}
		for _, name := range []string{"otlp", "memory_limiter", "filter", "transform", "attributes", "batch",
			"file", "debug", "otlp_grpc", "otlp_http", "clickhouse", "health_check", "file_storage"} {
			if !regexp.MustCompile(`(?m)^\s*-?\s*name: ` + name + `$`).Match(out) {
				t.Errorf("components lacks %s", name)
			}
		}
	})
}

// jaegerReleases maps the Go module tag of github.com/jaegertracing/jaeger
// (go.mod) to the Jaeger v2 release and image tag built from it.
var jaegerReleases = map[string]string{"v1.76.0": "2.13.0"}

// TestComposeMatchesModule parses docker-compose.yaml (Docker itself is not
// available here) and checks that its images are the versions this module
// builds and that it mounts the configs it is tested with.
func TestComposeMatchesModule(t *testing.T) {
	data, err := os.ReadFile("docker-compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			NetworkMode string            `yaml:"network_mode"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t)
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/jaegertracing/jaeger").Output()
	if err != nil {
		t.Fatal(err)
	}
	jaegerTag, ok := jaegerReleases[strings.TrimSpace(string(out))]
	if !ok {
		t.Fatalf("go.mod's jaeger %s has no known release: add it to jaegerReleases", out)
	}
	want := map[string]struct{ image, config string }{
		"otelcol": {"otel/opentelemetry-collector-contrib:" + strings.TrimPrefix(builderVersion, "v"), "otelcol.yaml"},
		"jaeger":  {"jaegertracing/jaeger:" + jaegerTag, "jaeger.yaml"},
	}
	if m.Dist.Version != strings.TrimPrefix(builderVersion, "v") {
		t.Errorf("manifest dist.version %s, builder %s", m.Dist.Version, builderVersion)
	}
	for name, w := range want {
		svc, ok := compose.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if svc.Image != w.image {
			t.Errorf("%s: image %s, want %s", name, svc.Image, w.image)
		}
		if svc.NetworkMode != "host" {
			t.Errorf("%s: network_mode %q, want host (the configs listen on loopback)", name, svc.NetworkMode)
		}
		// The config passed with --config is the mounted file from here.
		var cfgPath string
		for _, arg := range svc.Command {
			if p, ok := strings.CutPrefix(arg, "--config="); ok {
				cfgPath = p
			}
		}
		mounted := false
		for _, v := range svc.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			if dst == cfgPath {
				mounted = true
				if filepath.Clean(src) != w.config {
					t.Errorf("%s: %s is mounted from %s, want %s", name, cfgPath, src, w.config)
				}
			}
		}
		if cfgPath == "" || !mounted {
			t.Errorf("%s: --config %q is not a mounted file", name, cfgPath)
		}
	}
	if cmd := compose.Services["otelcol"].Command; !slices.Contains(cmd, featureGates) {
		t.Errorf("otelcol: command %v lacks %s", cmd, featureGates)
	}
}
