# Developer entry points. `make test` is what CI runs (.ci/run).
GO ?= go
# Where tests and benchmarks keep datasets, so they never touch a user's cache.
export OFFRL_DATA_DIR ?= $(CURDIR)/.cache/datasets

# DuckDB (npm's @duckdb/node-api, pinned in tools/duckdb/package-lock.json)
# is the independent reader the interop tests compare ours with. It is
# installed into DUCKDB_DIR, inside the repository and git-ignored, and
# reused until the lock file changes.
DUCKDB_DIR := $(CURDIR)/.cache/duckdb
export OFFRL_DUCKDB_SCRIPT ?= $(CURDIR)/tools/duckdb/stats.mjs
export OFFRL_DUCKDB_MODULES ?= $(DUCKDB_DIR)

.PHONY: test deps node x11 vet unit bench bench-read bench-ref bench-envs fixtures fuzz fmt results

## test: install what the tests need, then vet and run every test. The
## DuckDB interop tests and the viewer's window tests (Xvfb) fail here,
## rather than skip, if DuckDB or Xvfb is missing.
test: export OFFRL_REQUIRE_DUCKDB := 1
test: export OFFRL_REQUIRE_XVFB := 1
test: deps vet unit

## deps: download the Go modules and install node, npm, DuckDB and what
## the viewer needs.
deps: $(DUCKDB_DIR)/.installed x11
	$(GO) mod download

## x11: install, with apt-get (as root) and only when missing, what the
## viewer (viz/viewer, ebiten) needs to build and its window tests to run:
## a C compiler for cgo, the X11 and GL headers, Mesa's software GL and
## Xvfb. The tests capture the screen over the X protocol themselves.
X11_PACKAGES := libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev libxi-dev \
	libxxf86vm-dev libgl1-mesa-dev libgl1-mesa-dri xvfb
x11:
	@missing=""; \
	command -v gcc >/dev/null || missing="$$missing gcc libc6-dev"; \
	for p in $(X11_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## node: install Debian's nodejs and npm when either is missing (as root).
node:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		echo "installing nodejs and npm with apt-get"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi

$(DUCKDB_DIR)/.installed: tools/duckdb/package.json tools/duckdb/package-lock.json | node
	@mkdir -p $(DUCKDB_DIR)
	@cp tools/duckdb/package.json tools/duckdb/package-lock.json $(DUCKDB_DIR)/
	cd $(DUCKDB_DIR) && npm ci --loglevel=error --no-audit --no-fund
	@touch $@

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 9m ./...

## bench-envs: env steps/s of the seven MuJoCo tasks, offrl next to MuJoCo
## 2.2.2 (mjoracle bench), as a Markdown table with the ratio.
bench-envs:
	bash tools/bench-envs.sh

## fuzz: run every fuzz target for FUZZTIME each (default 30s); a failing
## input is saved under the package's testdata/fuzz/ for the unit tests.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./datasets:FuzzRead ./datasets:FuzzValidate ./datasets:FuzzParseManifest \
	./datasets:FuzzParseID ./datasets:FuzzParseProgress ./nn:FuzzParseSafetensors \
	./nn/gemm:FuzzSgemm ./envs/mujoco:FuzzStep
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzzing $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	done

## bench: the hot-path benchmarks (env step, dataset read, agent update).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

## bench-ref: TD3+BC, IQL, VAE and A2PR updates and s/dgemm next to PyTorch CPU at
## 1 and 2 threads (installs Debian's python3-torch and OpenBLAS with apt-get,
## as root, when missing). BENCHTIME, COUNT, TORCH_SECONDS, THREADS and OUT pass
## through to tools/bench-ref.sh.
bench-ref:
	@missing=""; \
	/usr/bin/python3 -c 'import torch' 2>/dev/null || missing="$$missing python3-torch"; \
	dpkg-query -W -f='$${Status}' libopenblas0-pthread 2>/dev/null | grep -q 'ok installed' || missing="$$missing libopenblas0-pthread"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	tools/bench-ref.sh

## bench-read: time reading a 1M-transition file, ours against DuckDB.
bench-read: deps
	tools/bench-read.sh

## fixtures: rewrite the foreign Parquet fixtures under datasets/interop/testdata.
fixtures: deps
	node tools/duckdb/make-fixtures.mjs datasets/interop/testdata
	$(GO) test ./datasets/interop -run TestLegacyListFixture -update

## results: train TD3+BC, IQL and A2PR on the nine locomotion datasets
## (resumably, two runs at a time) and write results/results.md and
## results/results.png; about an hour on 2 cores. RESULTS_FLAGS passes
## flags through, e.g. RESULTS_FLAGS=--full or --table-only (see
## go run ./cmd/results --help). It uses your dataset cache, not the tests'
## (.cache/datasets), unless OFFRL_DATA_DIR is set in the environment.
RESULTS_FLAGS ?=
results:
	$(if $(filter file,$(origin OFFRL_DATA_DIR)),env -u OFFRL_DATA_DIR) $(GO) run ./cmd/results $(RESULTS_FLAGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
