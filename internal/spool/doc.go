// Package spool is how a command-line tool's spans leave the machine
// without the command waiting on the network: a Spool (a SpanExporter)
// keeps the spans of one invocation and at exit writes them as one file, a
// ready OTLP/HTTP request body; StartUploader then starts a detached
// uploader that sends the spool while the command has already returned.
// The command's telemetry cost is encoding and writing one small file plus,
// sometimes, starting a process.
//
// # The uploader
//
// The uploader is the tool's own executable, started again with no
// arguments and the marker <TOOL>_TELEMETRY_UPLOAD=<token> in its
// environment, where token names a file that the spawn created in the spool
// and the child removes to claim its role (so a marker left in an
// environment cannot turn a command into an uploader),
// in its own session, with stdin, stdout and stderr on the null device, in
// the spool folder, and not waited for (as azd and Go's telemetry do). The
// tool checks ClaimUpload first thing in main (instrument.Start does) and
// then calls ReleaseInherited (it closes every descriptor inherited from the
// command, such as a shell's lock or a parent's pipe, so that nobody waits
// on the uploader), Serve, and exits. Spans never travel through argv or
// the environment; the child reads the spool. There is no drain at the start
// of the next invocation: that would put the network on the command's path.
//
// # Pace
//
// At most one uploader waits at a time (Config.UploadInterval, one minute
// by default): the uploader a command starts holds upload.wait for its
// whole life; it sends the spool, waits until its interval is over, sends
// what was spooled meanwhile, and exits (Serve). A command that finds
// upload.wait held starts none, since that uploader will send its spans;
// one that finds it free starts one, whether the last uploader finished or
// died (a reboot), so what a dead uploader would have sent goes with the
// next command. So a span waits at most about one interval, and a script
// running the tool in a loop starts one process a minute rather than one
// per command. A spool holding 100 files or 256 KiB (a request's worth, a
// tenth of the caps) starts one at once, which sends and exits, so that
// waiting never costs a file. <TOOL>_TELEMETRY_UPLOAD_INTERVAL sets the
// interval (a Go duration, at most an hour); 0 starts one after every
// command, and the uploader then exits as soon as the spool is sent. The
// default is 0 on Windows, where a waiting uploader would keep the tool's
// .exe from being replaced; instrument also uses 0 in CI, whose machine
// may be gone before a waiting uploader sends (the variable, when set,
// wins there too). On Unix a waiting uploader keeps the executable busy
// too: overwriting it in place (cp over it) fails with "text file busy"
// for up to the interval, as it does while any run of the tool lasts;
// installers that replace the file (install, go install, package managers)
// are not affected.
//
// Upload holds a file lock (one uploader at a time; a second one returns
// at once, and a command that finds the lock held starts none: the one at
// work looks at the spool again after letting go of the lock), stops at a
// wall-clock deadline (10 s; each request 5 s), and removes a file only
// after the collector answered 2xx, so delivery is at least once. A file
// the collector rejects (4xx other than 408 and 429) is dropped; on 408,
// 429, 5xx, network errors and timeouts the files stay, and no uploader is
// started again before the collector's Retry-After (at most 6 h) or 2
// minutes have passed, so an offline machine does not start an uploader
// per command. The next command after that sends everything recorded in
// between.
//
// # The spool
//
// The spool folder is os.UserCacheDir()/<tool>/spool/<endpoint key> (on
// Linux $XDG_CACHE_HOME/<tool>/spool or ~/.cache/<tool>/spool, on macOS
// ~/Library/Caches/<tool>/spool, on Windows %LocalAppData%\<tool>\spool),
// one folder per collector endpoint (16 hex characters of its SHA-256), so
// that spans recorded for one collector are never sent to another; an
// uploader also drops what is over the limits in the other endpoints'
// folders. Each folder is 0700; each file is 0600, named
// <unix-nanoseconds>-<pid>-<random>-s<size>.otlp, holds one invocation's spans as
// an uncompressed OTLP ExportTraceServiceRequest in protobuf, and is
// written to a temporary name and renamed. An invocation whose spans encode
// to more than a request holds (48 KiB, below) is written as several files
// of at most that size, but for a single larger span. The folder also holds
// upload.lock (the uploader's lock), upload.wait (held by the uploader
// waiting out its interval) and, after a failure, upload.next (the time
// before which no upload is tried).
//
// The uploader sends the files oldest first, up to 200 files or 48 KiB
// in one request (a burst of commands goes in a few requests; requests are
// not compressed, and 48 KiB is what a 100 kbit/s link sends within the
// 5 s attempt timeout), and removes them when it is answered 2xx.
//
// The loss rule: the oldest files are dropped first when the spool is over
// 1000 files, 4 MiB in total or 7 days of age, and an invocation keeps at
// most 1000 spans. Nothing else is dropped but a file the collector
// rejects (4xx other than 408 and 429) or one that is not a valid request. A file that cannot be decoded is dropped
// by the uploader. Deleting the spool folder empties the spool, at any
// time; it is created again, 0700, when there is something to write.
package spool
