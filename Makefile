# netlab: see README.md. Targets that start labs need root.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
BIN     := bin/netlab
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build demo test unit integration fuzz bench lint clean

# Static (no cgo): a node's init is this binary, and without the dynamic
# loader each of them starts about a millisecond sooner.
# netlab-init beside netlab is what each node runs (see cmd/netlab-init).
build:
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/netlab
	CGO_ENABLED=0 $(GO) build -o bin/netlab-init ./cmd/netlab-init

# README command 1: install what is missing, bring the triangle up, show it
# working, take it down.
demo: build
	./scripts/install-deps.sh demo
	$(BIN) up labs/triangle.yaml
	$(BIN) status
	$(BIN) exec r1 -- ping -c1 r3
	$(BIN) exec r2 -- ip -br address
	$(BIN) down triangle

# README command 2: the whole suite. CI is set for it: a test that lacks
# root or a program fails rather than skips (install-deps has installed
# every package; only a kernel feature the machine lacks may skip).
test: lint
	./scripts/install-deps.sh test
	CI=$${CI:-true} $(GO) test -count=1 ./...
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20000x -fuzzminimizetime 200x ./topology/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 10m ./topology/

# Go benchmarks of the hot paths, then the table of netlab against its
# floors and Mininet (see docs/benchmarks.md).
# BASELINE: the last build before node isolation (two processes per node),
# timed in the same run for the before/after of a 1000-node chain.
BASELINE ?= a8b1bcf
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 5x ./topology/ ./netlab/ ./test/
	BASELINE=$(BASELINE) ./scripts/bench.sh -o docs/benchmarks.md

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

clean:
	rm -rf bin
