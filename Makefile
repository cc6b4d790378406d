# One test command for developers and CI alike (README: "make test").
GO ?= go

.PHONY: test vet fmt-check demo bench

test: fmt-check vet
	$(GO) test -race -count=1 ./...
	# Jaeger v2, a real collector, in its own module: the first build takes minutes.
	cd collector-config && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...
	# usage analytics on DuckDB (cgo), its own nested module: collector-config/usage.
	cd collector-config/usage && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo:
	$(GO) run ./examples/demo
