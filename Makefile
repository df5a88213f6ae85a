# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(CURDIR)/.cache/tools
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/govextract/jira-extractor/extractor.Version=$(VERSION) -X main.version=$(VERSION)

# Pinned tool versions, fetched through the Go module proxy.
VERSITYGW_VERSION := v1.8.0
BUF_VERSION := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2

.PHONY: all build demo test vet fmt proto bench bench-quick clean tools

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

# The S3-compatible server the output tests run against (real S3 protocol).
$(TOOLS)/versitygw:
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

tools: $(TOOLS)/versitygw

# -race needs cgo and a C compiler: without them the tests run without it.
RACE := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)

test: build tools
ifeq ($(RACE),)
	@echo "notice: no C compiler ($$($(GO) env CC)) or CGO_ENABLED=0: running the tests WITHOUT the race detector; install gcc or clang to get it" >&2
endif
	VERSITYGW=$(TOOLS)/versitygw $(GO) test $(RACE) -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

demo: build
	@bash testdata/demo.sh $(BIN)

proto:
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	cd plugin && PATH=$(TOOLS):$$PATH $(TOOLS)/buf generate

# The scenario matrix and the incremental rows (large site, 1% churn: run
# --since and diff, each with its peak RSS) against the simulator (results in
# bench-results/), then the writers' throughput and the simulator's own speed.
bench: build
	@status=0; \
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./extractor/bench/ || status=1; \
	$(GO) test -run '^$$' -bench BenchmarkWrite -benchtime 1x -timeout 10m ./internal/output/ || status=1; \
	$(GO) test -run '^$$' -bench 'BenchmarkEffectiveAccess' -benchtime 1x -timeout 10m ./extractor/ ./internal/cli/ || status=1; \
	$(GO) test -run '^$$' -bench BenchmarkServe -benchtime 20000x -timeout 10m ./cmd/jirasim/sim/ || status=1; \
	$(GO) test -run '^$$' -bench BenchmarkGenerateLarge -benchtime 1x -timeout 10m ./cmd/jirasim/sim/ || status=1; \
	$(GO) test -run '^$$' -bench BenchmarkApplyMixed -benchtime 1x -timeout 10m ./internal/applycmd/ || status=1; \
	if [ $$status -ne 0 ]; then echo "make bench: a row missed its target or failed (see above); every benchmark still ran" >&2; fi; \
	exit $$status

bench-quick: build
	BENCH_QUICK=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 10m ./extractor/bench/

clean:
	rm -rf $(BIN) out
