package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// schema is created when a database is opened. spans is the storage; the
// invocations view is the documented interface (README), so the storage may
// change without breaking anyone's queries.
const schema = `
CREATE TABLE IF NOT EXISTS spans (
	file_id                  INTEGER NOT NULL,
	span_id                  UBIGINT NOT NULL,
	start_time               TIMESTAMP NOT NULL,
	service_name             VARCHAR NOT NULL,
	service_version          VARCHAR NOT NULL,
	telemetry_distro_version VARCHAR,
	process_runtime_name     VARCHAR,
	process_runtime_version  VARCHAR,
	os_type                  VARCHAR,
	host_arch                VARCHAR,
	span_name                VARCHAR NOT NULL,
	command                  VARCHAR NOT NULL,
	user_key                 INTEGER,
	process_command_line     VARCHAR NOT NULL,
	process_command_args     VARCHAR[] NOT NULL,
	process_executable_name  VARCHAR NOT NULL,
	process_exit_code        BIGINT NOT NULL,
	error_type               VARCHAR,
	cli_ci                   BOOLEAN NOT NULL,
	cli_consent              VARCHAR NOT NULL,
	project_key              INTEGER,
	cli_project_datasets     BIGINT,
	cli_project_nodes        BIGINT,
	cli_project_pipelines    BIGINT,
	cli_new_tools            VARCHAR[],
	cli_new_example_pipeline BOOLEAN,
	flags                    STRUCT(name VARCHAR, value VARCHAR)[] NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS file_ids;
CREATE TABLE IF NOT EXISTS loaded_files (
	file_id      INTEGER PRIMARY KEY,
	path         VARCHAR NOT NULL,
	framing      VARCHAR NOT NULL,
	compression  VARCHAR NOT NULL,
	head_len     BIGINT NOT NULL,
	head_hash    BLOB NOT NULL,
	consumed     BIGINT NOT NULL,
	prefix_hash  BLOB NOT NULL,
	records      BIGINT NOT NULL,
	spans        BIGINT NOT NULL,
	duplicates   BIGINT NOT NULL,
	skipped      BIGINT NOT NULL,
	first_loaded TIMESTAMP NOT NULL,
	last_loaded  TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS skipped_spans (
	file_id INTEGER NOT NULL,
	reason  VARCHAR NOT NULL,
	spans   BIGINT NOT NULL
);
-- The long ids (36 and 128 characters, random) are stored once each and
-- referred to by number: a tenth of the size, and faster to count.
CREATE TABLE IF NOT EXISTS users (user_key INTEGER NOT NULL, pseudo_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS projects (project_key INTEGER NOT NULL, project_id VARCHAR NOT NULL);
CREATE OR REPLACE VIEW invocations AS
SELECT
	start_time, span_id, span_name, command,
	service_name, service_version, telemetry_distro_version,
	process_runtime_name, process_runtime_version, os_type, host_arch,
	u.pseudo_id AS enduser_pseudo_id, process_command_line, process_command_args,
	process_executable_name, process_exit_code, error_type,
	cli_ci, cli_consent, p.project_id AS cli_project_id,
	cli_project_datasets, cli_project_nodes, cli_project_pipelines,
	cli_new_tools, cli_new_example_pipeline, flags
FROM spans LEFT JOIN users u USING (user_key) LEFT JOIN projects p USING (project_key);
-- The same rows with the numbers in place of the ids, for the report: it
-- only counts distinct ids, which the numbers answer alike.
CREATE OR REPLACE VIEW invocations_by_key AS
SELECT * EXCLUDE (user_key, project_key, file_id),
	user_key AS enduser_pseudo_id, project_key AS cli_project_id
FROM spans;
`

// DB is a usage database.
type DB struct {
	*sql.DB
	connector *duckdb.Connector
}

// Open opens (creating if needed) the DuckDB database at path; "" is an
// in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db := &DB{DB: sql.OpenDB(c), connector: c}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating the schema in %s: %w", path, err)
	}
	return db, nil
}

// OpenReadOnly opens an existing database for reading only: reports and
// ad hoc queries cannot change it, and can run beside each other.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	c, err := duckdb.NewConnector(path+"?access_mode=read_only", nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db := &DB{DB: sql.OpenDB(c), connector: c}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.DB.Close(), db.connector.Close())
}

// row is one invocation's values in the column order of spans.
func row(fileID int64, inv *Invocation, user, project driver.Value) []driver.Value {
	args := make([]any, len(inv.CommandArgs))
	for i, s := range inv.CommandArgs {
		args[i] = s
	}
	flags := make([]any, len(inv.Flags))
	for i, f := range inv.Flags {
		flags[i] = map[string]any{"name": f.Name, "value": f.Value}
	}
	var tools any
	if inv.NewTools != nil {
		l := make([]any, len(inv.NewTools))
		for i, s := range inv.NewTools {
			l[i] = s
		}
		tools = l
	}
	return []driver.Value{
		int32(fileID), inv.SpanID, inv.StartTime,
		inv.ServiceName, inv.ServiceVersion, ptr(inv.DistroVersion),
		ptr(inv.RuntimeName), ptr(inv.RuntimeVersion), ptr(inv.OSType), ptr(inv.HostArch),
		inv.SpanName, inv.Command, user,
		inv.CommandLine, args, inv.Executable, inv.ExitCode, ptr(inv.ErrorType),
		inv.CI, inv.Consent, project,
		ptr(inv.Datasets), ptr(inv.Nodes), ptr(inv.Pipelines),
		tools, ptr(inv.NewExample), flags,
	}
}

// ptr turns a nil pointer into a NULL for the appender.
func ptr[T any](p *T) driver.Value {
	if p == nil {
		return nil
	}
	return *p
}
