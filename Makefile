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
	# usage analytics on DuckDB (cgo), its own nested module: collector-config/usage.
	cd collector-config/usage && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

# One table: each consent and collector state against the notelemetry
# build (medians of alternating runs), binary sizes, in-process benchmarks.
bench:
	$(GO) run ./internal/costbench -runs $(or $(RUNS),200)

demo:
	$(GO) run ./examples/demo
