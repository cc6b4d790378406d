package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
)

// headLen is how much of a file's start identifies it among loaded files
// before the whole loaded prefix is compared.
const headLen = 4096

// Result is what loading one file did.
type Result struct {
	Path        string
	Framing     exportfile.Framing
	Compression string
	// AlreadyLoaded is the part of the file (logical bytes) loaded before,
	// by this path or another with the same content.
	AlreadyLoaded int64
	LoadedAs      string // the path under which that part was loaded first
	Consumed      int64  // the end of the last complete record now loaded
	Records       int
	Spans         int            // new invocations stored
	Duplicates    int            // spans already stored (the collector may write a span twice)
	Skipped       map[string]int // spans that do not follow the contract, by reason
	// IncompleteTail is set when the file ends inside a record: a file
	// being written or a truncated one. That record is left for a later load.
	IncompleteTail bool
	Err            error // the file could not be loaded; nothing of it was stored
}

// Progress reports whether the load stored or consumed anything new.
func (r *Result) Progress() bool { return r.Err == nil && r.Consumed > r.AlreadyLoaded }

// String is the one-line account printed by `usage load`.
func (r *Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: not loaded: %v", r.Path, r.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", r.Path)
	switch {
	case r.Consumed == 0 && !r.IncompleteTail:
		b.WriteString("empty, nothing to load")
	case !r.Progress() && r.AlreadyLoaded > 0:
		fmt.Fprintf(&b, "already loaded")
		if r.LoadedAs != r.Path {
			fmt.Fprintf(&b, " (same content as %s)", r.LoadedAs)
		}
	default:
		if r.AlreadyLoaded > 0 {
			fmt.Fprintf(&b, "%d bytes already loaded, ", r.AlreadyLoaded)
		}
		fmt.Fprintf(&b, "%d records, %d spans loaded", r.Records, r.Spans)
		if r.Duplicates > 0 {
			fmt.Fprintf(&b, ", %d duplicate spans ignored", r.Duplicates)
		}
		if n := r.SkippedTotal(); n > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(r.Skipped)) {
				parts = append(parts, fmt.Sprintf("%d %s", r.Skipped[k], k))
			}
			fmt.Fprintf(&b, ", %d spans skipped as outside the span contract (%s)", n, strings.Join(parts, "; "))
		}
		fmt.Fprintf(&b, " [%s", r.Framing)
		if r.Compression != "" {
			fmt.Fprintf(&b, ", %s", r.Compression)
		}
		b.WriteString("]")
	}
	if r.IncompleteTail {
		b.WriteString("; the file ends inside a record (being written, or truncated): that record is left for the next load")
	}
	return b.String()
}

// SkippedTotal is the number of spans skipped.
func (r *Result) SkippedTotal() int {
	n := 0
	for _, v := range r.Skipped {
		n += v
	}
	return n
}

// loadedFile is a row of loaded_files.
type loadedFile struct {
	id         int64
	path       string
	headLen    int64
	headHash   []byte
	consumed   int64
	prefixHash []byte
}

// LoadFile loads one export file in one transaction: either all of its new
// complete records are stored, or (on any error) nothing.
func (db *DB) LoadFile(ctx context.Context, path string) *Result {
	res := &Result{Path: path, Skipped: map[string]int{}}
	if err := db.loadFile(ctx, path, res); err != nil {
		res.Err = err
		res.Spans, res.Duplicates, res.Records = 0, 0, 0
		clear(res.Skipped)
	}
	return res
}

func (db *DB) loadFile(ctx context.Context, path string, res *Result) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	known, err := db.loadedFiles(ctx)
	if err != nil {
		return err
	}
	// Find what this file continues: the loaded file with the longest
	// prefix that this file's start repeats byte for byte.
	var prev *loadedFile
	f, rd, head, err := openReader(path)
	if err != nil {
		return err
	}
	defer func() { f.Close(); rd.Close() }()
	res.Framing, res.Compression = rd.Framing(), rd.Compression()
	for i := range known {
		k := &known[i]
		if k.headLen > int64(len(head)) {
			continue
		}
		h := sha256.Sum256(head[:k.headLen])
		if !bytes.Equal(h[:], k.headHash) || (prev != nil && prev.consumed >= k.consumed) {
			continue
		}
		// Compare the whole loaded prefix on a fresh reader.
		f2, rd2, _, err := openReader(path)
		if err != nil {
			return err
		}
		ok := rd2.Skip(k.consumed) == nil && bytes.Equal(rd2.Sum(), k.prefixHash)
		f2.Close()
		rd2.Close()
		if ok {
			prev = k
		}
	}
	if prev != nil {
		if err := rd.Skip(prev.consumed); err != nil {
			return err
		}
		res.AlreadyLoaded, res.LoadedAs = prev.consumed, prev.path
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var fileID int64
	if prev != nil {
		fileID = prev.id
	} else if err := conn.QueryRowContext(ctx, "SELECT nextval('file_ids')").Scan(&fileID); err != nil {
		return err
	}
	// Rows appended now get row ids above every row before them.
	var lastRow int64
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(max(rowid), -1) FROM spans").Scan(&lastRow); err != nil {
		return err
	}

	var staged int
	var minT, maxT time.Time
	t0 := time.Now()
	trace := func(what string) {
		if os.Getenv("USAGE_TRACE") != "" {
			fmt.Fprintf(os.Stderr, "%s: %s: %v\n", path, what, time.Since(t0))
		}
	}
	users, err := loadKeys(ctx, conn, "SELECT pseudo_id, user_key FROM users")
	if err != nil {
		return err
	}
	projects, err := loadKeys(ctx, conn, "SELECT project_id, project_key FROM projects")
	if err != nil {
		return err
	}
	// Decoding and making rows run beside appending: pdata's unmarshaling
	// and the appender cost about the same, and there are two cores. The
	// decoder owns the key maps until it closes batches.
	batches := make(chan batch, 4)
	stop := make(chan struct{})
	d := &decoder{rd: rd, fileID: fileID, users: users, projects: projects}
	go d.run(batches, stop)
	defer func() {
		close(stop)
		for range batches { // let the decoder finish before rd is closed
		}
	}()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(*duckdb.Conn), "", "spans")
		if err != nil {
			return err
		}
		var readErr error
		for b := range batches {
			res.Records++
			for k, n := range b.skipped {
				res.Skipped[k] += n
			}
			if b.err != nil {
				if errors.Is(b.err, exportfile.ErrIncomplete) {
					res.IncompleteTail = true
				} else {
					readErr = b.err
				}
				res.Records--
				break
			}
			if len(b.rows) > 0 {
				if staged == 0 || b.minT.Before(minT) {
					minT = b.minT
				}
				if staged == 0 || b.maxT.After(maxT) {
					maxT = b.maxT
				}
			}
			for _, r := range b.rows {
				if err := app.AppendRow(r...); err != nil {
					app.Close()
					return fmt.Errorf("storing a span: %w", err)
				}
				staged++
			}
		}
		if err := errors.Join(readErr, app.Close()); err != nil {
			return err
		}
		return errors.Join(users.appendNew(dc, "users"), projects.appendNew(dc, "projects"))
	})
	if err != nil {
		return err
	}
	for range batches { // the reader is done with rd once batches is closed
	}
	res.Consumed = rd.Offset()
	trace("decoded and appended")
	if res.Consumed == res.AlreadyLoaded {
		return nil // nothing new: leave the database as it is
	}
	if res.Records > 0 && staged == 0 && res.SkippedTotal() == 0 && res.AlreadyLoaded == 0 {
		return fmt.Errorf("%w: %d records hold no spans (is it a metrics or logs export?)", exportfile.ErrNotExport, res.Records)
	}
	res.Spans = staged
	if staged > 0 {
		// Keep one of each span: the collector may write a span again after
		// a retry, and a file may repeat one. Only rows in the time range
		// of this load can be duplicates of the new ones.
		r, err := conn.ExecContext(ctx, `
			DELETE FROM spans WHERE rowid IN (
				SELECT rowid FROM (
					SELECT rowid, row_number() OVER (PARTITION BY span_id, start_time ORDER BY rowid) AS k
					FROM spans WHERE start_time BETWEEN ? AND ?)
				WHERE k > 1 AND rowid > ?)`, minT, maxT, lastRow)
		if err != nil {
			return fmt.Errorf("dropping duplicate spans: %w", err)
		}
		n, _ := r.RowsAffected()
		res.Duplicates = int(n)
		res.Spans = staged - int(n)
		trace("duplicates dropped")
	}
	head = head[:min(len(head), int(res.Consumed))]
	hh := sha256.Sum256(head)
	now := time.Now().UTC()
	if prev == nil {
		_, err = conn.ExecContext(ctx, `INSERT INTO loaded_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			fileID, path, string(res.Framing), res.Compression, len(head), hh[:], res.Consumed, rd.Sum(),
			res.Records, res.Spans, res.Duplicates, res.SkippedTotal(), now, now)
	} else {
		_, err = conn.ExecContext(ctx, `UPDATE loaded_files SET path = ?, head_len = ?, head_hash = ?, consumed = ?,
			prefix_hash = ?, records = records + ?, spans = spans + ?, duplicates = duplicates + ?,
			skipped = skipped + ?, last_loaded = ? WHERE file_id = ?`,
			path, len(head), hh[:], res.Consumed, rd.Sum(), res.Records, res.Spans, res.Duplicates,
			res.SkippedTotal(), now, fileID)
	}
	if err != nil {
		return fmt.Errorf("recording the file: %w", err)
	}
	for reason, n := range res.Skipped {
		if _, err := conn.ExecContext(ctx, "INSERT INTO skipped_spans VALUES (?, ?, ?)", fileID, reason, n); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	trace("committed")
	return nil
}

// keys numbers the long ids (users, projects) in the order first seen.
type keys struct {
	m     map[string]int32
	added []string
}

func loadKeys(ctx context.Context, conn *sql.Conn, query string) (*keys, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	k := &keys{m: map[string]int32{}}
	for rows.Next() {
		var id string
		var n int32
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		k.m[id] = n
	}
	return k, rows.Err()
}

// key returns the number of id (a new one if needed), or NULL for none.
func (k *keys) key(id *string) driver.Value {
	if id == nil {
		return nil
	}
	n, ok := k.m[*id]
	if !ok {
		n = int32(len(k.m))
		k.m[*id] = n
		k.added = append(k.added, *id)
	}
	return n
}

// appendNew stores the ids numbered during this load.
func (k *keys) appendNew(dc any, table string) error {
	if len(k.added) == 0 {
		return nil
	}
	app, err := duckdb.NewAppenderFromConn(dc.(*duckdb.Conn), "", table)
	if err != nil {
		return err
	}
	first := int32(len(k.m) - len(k.added))
	for i, id := range k.added {
		if err := app.AppendRow(first+int32(i), id); err != nil {
			app.Close()
			return fmt.Errorf("storing a new id in %s: %w", table, err)
		}
	}
	return app.Close()
}

// batch is one record's rows, or the error that ended the file.
type batch struct {
	rows       [][]driver.Value
	minT, maxT time.Time
	skipped    map[string]int
	err        error // io.EOF is not sent: the channel closes
}

// decoder reads records and turns their spans into rows.
type decoder struct {
	rd              *exportfile.Reader
	fileID          int64
	users, projects *keys
}

// run decodes until the end, an error or stop, then closes out.
func (d *decoder) run(out chan<- batch, stop <-chan struct{}) {
	defer close(out)
	for {
		rec, err := d.rd.Next()
		var b batch
		if err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			b.err = err
		} else {
			b.rows = make([][]driver.Value, 0, rec.Traces.SpanCount())
			rss := rec.Traces.ResourceSpans()
			for i := range rss.Len() {
				rs := rss.At(i)
				sss := rs.ScopeSpans()
				for j := range sss.Len() {
					spans := sss.At(j).Spans()
					for k := range spans.Len() {
						inv, why := FromSpan(rs.Resource(), spans.At(k))
						if why != "" {
							if b.skipped == nil {
								b.skipped = map[string]int{}
							}
							b.skipped[string(why)]++
							continue
						}
						if len(b.rows) == 0 || inv.StartTime.Before(b.minT) {
							b.minT = inv.StartTime
						}
						if len(b.rows) == 0 || inv.StartTime.After(b.maxT) {
							b.maxT = inv.StartTime
						}
						b.rows = append(b.rows, row(d.fileID, &inv, d.users.key(inv.UserID), d.projects.key(inv.ProjectID)))
					}
				}
			}
		}
		select {
		case out <- b:
		case <-stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// openReader opens path and returns its reader and up to headLen bytes of
// its logical start.
func openReader(path string) (*os.File, *exportfile.Reader, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	rd, err := exportfile.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("%w: %v", exportfile.ErrNotExport, err)
	}
	head := bytes.Clone(rd.Head(headLen))
	return f, rd, head, nil
}

func (db *DB) loadedFiles(ctx context.Context) ([]loadedFile, error) {
	rows, err := db.QueryContext(ctx, `SELECT file_id, path, head_len, head_hash, consumed, prefix_hash
		FROM loaded_files ORDER BY consumed DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []loadedFile
	for rows.Next() {
		var k loadedFile
		if err := rows.Scan(&k.id, &k.path, &k.headLen, &k.headHash, &k.consumed, &k.prefixHash); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Stats are totals of the database, for `usage load`'s last line.
type Stats struct{ Invocations, Files, Skipped int64 }

// Stats counts what the database holds.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM loaded_files),
		(SELECT coalesce(sum(spans), 0) FROM skipped_spans)`).Scan(&s.Invocations, &s.Files, &s.Skipped)
	return s, err
}
