package store

// Column documents one column of the invocations view.
type Column struct {
	Name, Type string
	Key        string // the span contract's key it holds ("" if derived)
	Doc        string
}

// View is the documentation of the invocations view, one row per span
// that follows the contract. `usage sql` prints it; README.md lists the
// same columns (a test checks).
var View = []Column{
	{"start_time", "TIMESTAMP", "", "span start, UTC"},
	{"span_id", "UBIGINT", "", "the span id (with start_time it identifies the invocation; duplicates are dropped at load)"},
	{"span_name", "VARCHAR", "", "tool and command path, e.g. 'pipectl run'"},
	{"command", "VARCHAR", "", "the command path after the tool ('run', 'pipeline list'); '' for an unknown command"},
	{"service_name", "VARCHAR", "service.name", "the tool"},
	{"service_version", "VARCHAR", "service.version", "the tool's version"},
	{"telemetry_distro_version", "VARCHAR", "telemetry.distro.version", "anontel's version"},
	{"process_runtime_name", "VARCHAR", "process.runtime.name", "'go'"},
	{"process_runtime_version", "VARCHAR", "process.runtime.version", "e.g. 'go1.26.8'"},
	{"os_type", "VARCHAR", "os.type", "e.g. 'linux'"},
	{"host_arch", "VARCHAR", "host.arch", "e.g. 'amd64'"},
	{"enduser_pseudo_id", "VARCHAR", "enduser.pseudo.id", "anonymous user id; NULL when none could be kept"},
	{"process_command_line", "VARCHAR", "process.command_line", "the masked command line"},
	{"process_command_args", "VARCHAR[]", "process.command_args", "the same, as tokens"},
	{"process_executable_name", "VARCHAR", "process.executable.name", ""},
	{"process_exit_code", "BIGINT", "process.exit.code", ""},
	{"error_type", "VARCHAR", "error.type", "when the exit code is not 0"},
	{"cli_ci", "BOOLEAN", "cli.ci", "run in CI"},
	{"cli_consent", "VARCHAR", "cli.consent", "'implicit' or 'explicit'"},
	{"cli_project_id", "VARCHAR", "cli.project.id", "hashed project id (128 hex); NULL outside a project"},
	{"cli_project_datasets", "BIGINT", "cli.project.datasets", ""},
	{"cli_project_nodes", "BIGINT", "cli.project.nodes", ""},
	{"cli_project_pipelines", "BIGINT", "cli.project.pipelines", ""},
	{"cli_new_tools", "VARCHAR[]", "cli.new.tools", "new only"},
	{"cli_new_example_pipeline", "BOOLEAN", "cli.new.example_pipeline", "new only"},
	{"flags", "STRUCT(name VARCHAR, value VARCHAR)[]", "", "flags on the masked command line: name, and the allow-listed value, '*****' if masked, '' if none"},
}
