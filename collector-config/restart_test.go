package jaegere2e

// Restart: the collector is killed (SIGKILL) and started again while
// pipectl runs and while a load generator sends. What the collector
// acknowledged (2xx) is stored after the restart; pipectl's spool delivers
// the rest.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestRestartWhilePipectlRuns(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, collectorOpts{jaegerOTLP: j.otlpAddr})
	_, bin := binaries(t)
	u := newUser(t, bin, c.otlpURL)
	if r := u.run("", "--version"); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	const runs = 50
	for i := 1; i <= runs; i++ {
		switch i {
		case 15:
			c.kill()
			t.Logf("collector killed before run %d", i)
		case 30:
			c.start()
			t.Logf("collector restarted before run %d", i)
		}
		if r := u.run("", "info"); r.code != 0 {
			t.Fatalf("run %d: %+v", i, r)
		}
		if i%10 == 0 {
			// Let some detached uploaders finish while the collector is
			// up, and some fail while it is down.
			time.Sleep(300 * time.Millisecond)
		}
	}

	// The uploader that met the dead collector set a back-off of 2 minutes
	// (upload.next). Instead of waiting, the test removes it, as time
	// passing would, and runs the uploader as pipectl starts it.
	spool := filepath.Join(u.home, ".cache", "pipectl", "spool")
	waitFor(t, 60*time.Second, "pipectl's spool to drain", func() bool {
		pending, _ := filepath.Glob(filepath.Join(spool, "*", "*.otlp"))
		if len(pending) == 0 {
			return true
		}
		next, _ := filepath.Glob(filepath.Join(spool, "*", "upload.next"))
		for _, f := range next {
			os.Remove(f)
		}
		// A spawn proves itself with a token file in the spool (see
		// internal/spool): make one, as StartUploader does.
		dirs, _ := filepath.Glob(filepath.Join(spool, "*"))
		for _, dir := range dirs {
			token := fmt.Sprintf("%032x", time.Now().UnixNano())
			if err := os.WriteFile(filepath.Join(dir, "upload.token-"+token), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(u.env, "PIPECTL_TELEMETRY_UPLOAD="+token)
			cmd.Run()
			cancel()
		}
		return false
	})

	var ids map[pcommon.TraceID]int
	waitFor(t, 15*time.Second, "50 pipectl spans in the file export", func() bool {
		td, _ := c.exported(t)
		ids = map[pcommon.TraceID]int{}
		for _, s := range spansOf(td) {
			ids[s.span.TraceID()]++
		}
		return len(ids) >= runs
	})
	dups := 0
	for _, n := range ids {
		dups += n - 1
	}
	t.Logf("file export: %d distinct spans of %d runs, %d duplicates", len(ids), runs, dups)
	if len(ids) != runs {
		t.Errorf("file export holds %d distinct spans, want %d", len(ids), runs)
	}
	// Jaeger gets them through the exporter's persistent queue, which also
	// survived the SIGKILL.
	spans, body := j.waitSpans(t, "pipectl", runs)
	t.Logf("jaeger: %d spans", len(spans))
	for id := range ids {
		if !bytes.Contains(body, []byte(hex.EncodeToString(id[:]))) {
			t.Errorf("trace %x is in the file export but not in jaeger", id)
		}
	}
}

func TestRestartUnderLoad(t *testing.T) {
	c := startCollector(t, collectorOpts{})
	var (
		mu      sync.Mutex
		acked   = map[pcommon.TraceID]bool{}
		sent    atomic.Int64
		refused atomic.Int64
		failed  atomic.Int64
		next    atomic.Uint64
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				id := traceIDOf(0xd0, next.Add(1))
				body := gzipBytes(protoBody(traces(invocation(id))))
				req, _ := http.NewRequest(http.MethodPost, c.otlpURL+"/v1/traces", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-protobuf")
				req.Header.Set("Content-Encoding", "gzip")
				sent.Add(1)
				resp, err := cl.Do(req)
				if err != nil {
					failed.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	c.kill()
	t.Logf("killed after %d requests", sent.Load())
	time.Sleep(300 * time.Millisecond)
	c.start()
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var stored map[pcommon.TraceID]int
	missing := 0
	waitFor(t, 15*time.Second, "every acknowledged span in the file export", func() bool {
		td, _ := c.exported(t)
		stored = map[pcommon.TraceID]int{}
		for _, s := range spansOf(td) {
			stored[s.span.TraceID()]++
		}
		missing = 0
		for id := range acked {
			if stored[id] == 0 {
				missing++
			}
		}
		return missing == 0
	})
	dups, unacked := 0, 0
	for id, n := range stored {
		dups += n - 1
		if !acked[id] {
			unacked++
		}
	}
	t.Logf("sent %d, acknowledged %d, refused %d, no answer %d; stored %d distinct (%d not acknowledged: written, but the answer was lost in the kill), %d duplicates",
		sent.Load(), len(acked), refused.Load(), failed.Load(), len(stored), unacked, dups)
	if len(acked) == 0 {
		t.Fatal("nothing acknowledged")
	}
}
