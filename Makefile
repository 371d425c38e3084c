# Developer entry points. `make test` is what CI runs (.ci/run).
GO ?= go
# Where tests and benchmarks keep datasets, so they never touch a user's cache.
export OFFRL_DATA_DIR ?= $(CURDIR)/.cache/datasets

.PHONY: test deps vet unit bench fmt

## test: install what the tests need, then vet and run every test.
test: deps vet unit

## deps: download the Go modules (the tests need nothing else yet).
deps:
	$(GO) mod download

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 9m ./...

## bench: the hot-path benchmarks (env step, dataset read, agent update).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

fmt:
	gofmt -w $$(git ls-files '*.go')
