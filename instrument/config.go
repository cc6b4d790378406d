package instrument

import (
	"io"
	"log/slog"

	"github.com/anontel/anontel/internal/distro"

	"github.com/anontel/anontel/identity"
)

// Version is the version of the anontel library, sent as
// telemetry.distro.version and as the instrumentation scope version.
const Version = distro.Version

// Config says what a tool is and where its telemetry goes. Only Tool and
// Version are required; the zero value of every other field means its
// documented default.
type Config struct {
	// Tool is the tool's name ("pipectl"). It names the span, the
	// service, the user folder and the environment variables
	// (<TOOL>_DISABLE_TELEMETRY, <TOOL>_TELEMETRY_ENDPOINT,
	// <TOOL>_TELEMETRY_DEBUG).
	Tool string
	// Version is the tool's version, sent as service.version.
	Version string
	// Endpoint is the tool's default collector base URL; spans go to
	// Endpoint + "/v1/traces". <TOOL>_TELEMETRY_ENDPOINT overrides it.
	Endpoint string
	// AllowInsecure permits plain http:// to a host other than loopback.
	AllowInsecure bool

	// Root is the tool's command tree: its command and flag names, and the
	// flag values it allow-lists, are all that may pass the masker
	// unmasked. Its Name is set to Tool. Cobra tools fill it with
	// cobracli.Tree.
	Root Command
	// Project says how to find the tool's project and its id. The zero
	// value means the tool has no projects.
	Project identity.ProjectFile
	// ProjectAttributes, if set, describes the project the command runs in
	// (counts, kinds; never names or paths). It is called once, at the end
	// of an invocation inside a project, with consent on. ProjectCounts
	// builds Kedro's documented counts.
	ProjectAttributes func(projectRoot string) ([]Attr, error)

	// Args are the raw arguments without the program name; nil means
	// os.Args[1:].
	Args []string
	// WorkDir is where the project is looked for; "" means the working
	// directory.
	WorkDir string
	// Stderr receives the notice and the debug output; nil means os.Stderr.
	// Nothing is ever written to standard output.
	Stderr io.Writer
	// Logger receives telemetry's own failures; nil discards them.
	Logger *slog.Logger
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}
