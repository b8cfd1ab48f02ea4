# netlab: see README.md. Targets that start labs need root.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
BIN     := bin/netlab
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build demo test unit integration fuzz fuzz-node node-check bench lint clean

# With cgo: the node side (nsproc/node) is C, linked into netlab and run
# from a constructor before the Go runtime starts (see nsproc/node/doc.go).
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/netlab

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
	$(GO) test -run '^$$' -fuzz FuzzUnmarshal -fuzztime 20000x -fuzzminimizetime 200x ./nsproc/
	$(MAKE) node-check

# The C node side alone (nsproc/node/standalone), for the checks below.
NODE_C     := $(wildcard nsproc/node/*.c) nsproc/node/standalone/main.c
NODE_DEPS  := $(NODE_C) $(wildcard nsproc/node/*.h)
NODE_FLAGS := -std=gnu11 -Wall -Wextra -Werror -g
bin/netlab-node: $(NODE_DEPS)
	@mkdir -p bin
	gcc $(NODE_FLAGS) -O0 -o $@ $(NODE_C)
bin/netlab-node-asan: $(NODE_DEPS)
	@mkdir -p bin
	gcc $(NODE_FLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -o $@ $(NODE_C)
bin/netlab-node-fuzz: nsproc/node/fuzz/fuzz.c nsproc/node/config.c nsproc/node/msg.c $(wildcard nsproc/node/*.h)
	@mkdir -p bin
	clang $(NODE_FLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $(filter %.c,$^)

# The node side under AddressSanitizer and UBSan (the nsproc tests, and
# whole labs: security, core, exec), under valgrind (the agent: valgrind
# knows no mount_setattr or move_mount, which the supervisor and inits
# use), and its fuzz target. The binaries run from a directory every uid
# may enter: a lab's root is an unprivileged host id.
NODE_LABS ?= TestSecurity|TestNodeRoot|TestSiblingsApart|TestTerminalNotHanded|TestHostileNames|TestTriangle|TestIsolation|TestExec|TestShell|TestServicesLab|TestEtcIsTheNodes|TestRootlessIsolation|TestOSPF|TestLAN|TestLife|TestBinds|TestHostileAgent|TestNodeLimits|TestTmpfsBounded
node-check: bin/netlab-node bin/netlab-node-asan bin/netlab-node-fuzz
	./scripts/install-deps.sh test
	d=$$(mktemp -d /tmp/netlab-node.XXXXXX) && chmod 755 $$d && cp bin/netlab-node bin/netlab-node-asan $$d/ && \
	printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --child-silent-after-fork=no --log-fd=2 %s/netlab-node "$$@"\n' $$d > $$d/netlab-node-valgrind && \
	chmod 755 $$d/netlab-node-valgrind && \
	CI=$${CI:-true} NETLAB_NODE_BINARY=$$d/netlab-node-asan $(GO) test -count=1 ./nsproc/ && \
	CI=$${CI:-true} NETLAB_NODE_BINARY=$$d/netlab-node-asan $(GO) test -count=1 -timeout 30m -run '$(NODE_LABS)' ./test/ && \
	CI=$${CI:-true} NETLAB_NODE_BINARY=$$d/netlab-node-valgrind $(GO) test -count=1 -run 'TestLookPath|TestRun|TestPut|TestServices|TestPacket$$' ./nsproc/; \
	r=$$?; rm -rf $$d; exit $$r
	mkdir -p bin/fuzz-corpus
	bin/netlab-node-fuzz -runs=500000 -max_len=8192 bin/fuzz-corpus nsproc/node/fuzz/corpus

fuzz-node: bin/netlab-node-fuzz
	mkdir -p bin/fuzz-corpus
	bin/netlab-node-fuzz -max_total_time=600 -max_len=8192 bin/fuzz-corpus nsproc/node/fuzz/corpus

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 10m ./topology/

# Go benchmarks of the hot paths, then the table of netlab against its
# floors and Mininet (see docs/benchmarks.md).
# BASELINE: the last build before the node side was C (two Go processes,
# each an exec, per node), timed in the same run for the before/after of a
# 1000-node chain.
BASELINE ?= f133909
bench: build
	./scripts/install-deps.sh bench
	$(GO) test -run '^$$' -bench . -benchtime 5x ./topology/ ./netlab/ ./test/
	BASELINE=$(BASELINE) ./scripts/bench.sh -o docs/benchmarks.md

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

clean:
	rm -rf bin
