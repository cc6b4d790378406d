package spool_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/spool"
)

// A command records its span into the spool at exit; later the uploader
// (normally the detached child StartUploader starts) sends it.
func ExampleNew() {
	collector, err := otlpsink.Start("")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer collector.Close()
	tmp, _ := os.MkdirTemp("", "spool-example")
	defer os.RemoveAll(tmp)

	cfg := spool.Config{
		Tool:     "pipectl",
		Endpoint: collector.URL, // http is fine: loopback
		SpoolDir: filepath.Join(tmp, "spool"),
	}
	sp, err := spool.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(sp))
	_, span := tp.Tracer("pipectl").Start(context.Background(), "pipectl run")
	span.End()
	tp.Shutdown(context.Background())
	fmt.Println("written:", sp.Written())

	res, err := spool.Upload(context.Background(), cfg)
	fmt.Printf("sent %d, dropped %d, kept %d, err %v\n", res.Sent, res.Dropped, res.Kept, err)
	fmt.Println("collector got:", collector.Accepted())
	// Output:
	// written: true
	// sent 1, dropped 0, kept 0, err <nil>
	// collector got: [pipectl run]
}
