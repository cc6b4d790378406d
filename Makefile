# One test command for developers and CI alike (README: "make test").
GO ?= go

.PHONY: test vet fmt-check demo bench

test: fmt-check vet
	$(GO) test -race -count=1 ./...
	# Jaeger v2, a real collector, in its own module: the first build takes minutes.
	cd collector-config && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...
	# otelcol-anontel's generated module (its tests live in collector-config).
	cd collector-config/otelcol && $(GO) vet ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

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
