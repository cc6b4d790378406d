# One test command for developers and CI alike (README: "make test").
GO ?= go
STATICCHECK = $(GO) tool -modfile=.ci/tools/go.mod staticcheck

.PHONY: test check vet cross-vet staticcheck fmt-check test-library test-receiving demo bench

test: check test-library test-receiving

# Every build: formatting, vet of the default, notelemetry, Windows and
# macOS builds (tests included), and staticcheck.
check: fmt-check vet cross-vet staticcheck

vet:
	$(GO) vet ./...
	$(GO) vet -tags notelemetry ./...
	# pipectl's reference builds for make bench.
	$(GO) vet -tags notelemetry,costbench_nethttp,costbench_otelsdk ./examples/pipectl

cross-vet:
	GOOS=windows $(GO) vet ./...
	GOOS=windows $(GO) vet -tags notelemetry ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=darwin $(GO) vet -tags notelemetry ./...

staticcheck:
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags notelemetry ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test-library:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -tags notelemetry ./...

# Jaeger v2, a real collector, in its own module: the first build takes minutes.
test-receiving:
	cd collector-config && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...
	# otelcol-anontel's generated module (its tests live in collector-config).
	cd collector-config/otelcol && $(GO) vet ./...
	# usage analytics on DuckDB (cgo), its own nested module: collector-config/usage.
	# Its end-to-end test runs pipectl through the real collector.
	$(MAKE) collector
	cd collector-config/usage && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

# One table: each consent and collector state against the notelemetry
# build (medians of alternating runs), binary sizes, in-process benchmarks.
bench:
	$(GO) run ./internal/costbench -runs $(or $(RUNS),200)

demo:
	$(GO) run ./examples/demo

# --- The receiving side: otelcol-anontel (collector-config/, issue 8) ---
# Built from the builder manifest collector-config/builder-config.yaml; the
# generated sources in collector-config/otelcol are committed.
OCB_VERSION := v0.161.0

.PHONY: collector collector-generate collector-load demo-collector

collector:
	cd collector-config/otelcol && $(GO) build -o ../bin/otelcol-anontel .

collector-generate:
	cd collector-config && $(GO) run go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION) \
		--config builder-config.yaml --skip-compilation && gofmt -w otelcol/*.go

collector-load: collector
	cd collector-config && OTELCOL_ANONTEL_BIN=bin/otelcol-anontel \
		$(GO) test -run '^$$' -bench BenchmarkCollectorLoad -benchtime 1x -timeout 20m .

demo-collector:
	cd collector-config && $(GO) run ./cmd/demo-collector
