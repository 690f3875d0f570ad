# Krake: `make demo` and `make test` are the two set-up commands (README).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
DEMO_DIR ?= tmp/demo
DEMO_ADDR ?= 127.0.0.1:8080
SECURE ?= 0
# Fuzz budgets are execution counts (about 10 s each on two cores), not
# durations: with a duration, Go 1.26's fuzz coordinator can fail a target
# with a spurious "context deadline exceeded" at the deadline
# (golang/go#75804, fixed in Go 1.27). FUZZ_SCALE multiplies them all.
# FuzzHandler stays under 10,000: past that the coordinator of Go 1.26
# stalled here for about a minute (no input was slow: each is watched).
FUZZ_SCALE ?= 1
fuzz_execs = $$(( $(1) * $(FUZZ_SCALE) ))x

.PHONY: all build test test-deps kube-testenv unit e2e fuzz lint release release-check image bench soak demo demo-down clean

all: build

build: ## build the binaries into bin/ (static, -trimpath: as a release and the e2e tests build them)
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/krakectl ./krakectl
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/rok ./rok

test: test-deps lint unit e2e fuzz release ## everything CI runs

test-deps: ## what the tests need from Debian (bash-completion, tmux, openssl, python3-keystone; prometheus unpacked into ~/.cache/krake), installed when missing
	@./e2e/install-deps.sh

kube-testenv: ## build the local Kubernetes binaries into ~/.cache/krake (about 8 minutes the first time)
	@./e2e/kube-testenv.sh build

unit: ## unit and integration tests (real embedded etcd), with the race detector
	$(GO) test -race -count=1 ./...

e2e: kube-testenv ## end-to-end tests against the real binaries and real local clusters
	$(GO) test -tags e2e -count=1 -timeout 30m ./e2e/...

fuzz: ## run each fuzz target briefly (execution counts; FUZZ_SCALE=10 for a longer run)
	$(GO) test -run '^$$' -fuzz '^FuzzParseLabel$$' -fuzztime $(call fuzz_execs,600000) ./apiserver/api/constraint
	$(GO) test -run '^$$' -fuzz '^FuzzParseSelector$$' -fuzztime $(call fuzz_execs,600000) ./apiserver/api/constraint
	$(GO) test -run '^$$' -fuzz '^FuzzParseMetric$$' -fuzztime $(call fuzz_execs,600000) ./apiserver/api/constraint
	$(GO) test -run '^$$' -fuzz '^FuzzIsName$$' -fuzztime $(call fuzz_execs,400000) ./apiserver/api
	$(GO) test -run '^$$' -fuzz '^FuzzCreate$$' -fuzztime $(call fuzz_execs,2000) ./apiserver/server
	$(GO) test -run '^$$' -fuzz '^FuzzPatch$$' -fuzztime $(call fuzz_execs,60000) ./apiserver/server
	$(GO) test -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(call fuzz_execs,8000) ./apiserver/server
	$(GO) test -run '^$$' -fuzz '^FuzzParseTokens$$' -fuzztime $(call fuzz_execs,100000) ./apiserver/auth
	$(GO) test -run '^$$' -fuzz '^FuzzAuthorizationHeader$$' -fuzztime $(call fuzz_execs,100000) ./apiserver/auth
	$(GO) test -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime $(call fuzz_execs,100000) ./apiserver/tosca
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(call fuzz_execs,50000) ./apiserver/yamljson
	$(GO) test -run '^$$' -fuzz '^FuzzCSAR$$' -fuzztime $(call fuzz_execs,20000) ./apiserver/server

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GO) vet -tags release ./packaging/
	cd e2e/tools/oidc-provider && $(GO) vet ./...
	cd packaging/image && $(GO) vet ./...

# goreleaser v2 and ko come from the Go module proxy into ~/.cache/krake
# (packaging/tools.sh). The first snapshot release on a machine compiles
# 12 binaries (about 10 minutes on two cores); later ones reuse Go's build
# cache, and so does `make image` after it.
release: release-check image ## check the release config, make a snapshot release and the image in dist/, and inspect them
	$(GO) test -tags release -count=1 ./packaging/

# goreleaser reads the commit only from a repository with a remote (else
# it stamps "none"): a clone without one gets the project's address, for
# that read only.
release-check: ## goreleaser check, then a snapshot release into dist/ (archives, checksums, deb and rpm; nothing published)
	@gr=$$(./packaging/tools.sh goreleaser); \
	if [ -z "$$(git remote)" ]; then export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/krake-go/krake; fi; \
	"$$gr" check && "$$gr" release --snapshot --clean --skip=publish

image: ## krakectl's container image, built by ko without Docker, as an OCI tarball: dist/krakectl-image.tar
	@ko=$$(./packaging/tools.sh ko); cd packaging/image && $(GO) run . -ko "$$ko" -root ../.. -out ../../dist/krakectl-image.tar -version "$(VERSION)"

# The API benchmark runs client, server and etcd in one process; GOGC=400
# matches what krakectl sets for itself. Write rows run three times each
# (benchtable shows the median and the range): on two shared cores one run
# can be 20% off the next.
API_ROWS := BenchmarkAPI/op=(etcd-put|etcd-put-inprocess|create|create-mtls-rbac|get)
bench: kube-testenv ## API/etcd throughput and latency, rok vs kubectl, printed as tables
	@{ GOGC=400 $(GO) test -run '^$$' -bench '$(API_ROWS)/clients=1$$' -benchtime 5000x -count 3 ./apiserver/server; \
	   GOGC=400 $(GO) test -run '^$$' -bench '$(API_ROWS)/clients=(16|64)$$' -benchtime 20000x -count 3 ./apiserver/server; \
	   GOGC=400 $(GO) test -run '^$$' -bench 'BenchmarkAPI/op=list-1000/' -benchtime 100x ./apiserver/server; \
	   $(GO) test -tags e2e -run '^$$' -bench 'BenchmarkCLI' -benchtime 20x ./e2e; \
	   $(GO) test -tags e2e -run '^$$' -bench 'BenchmarkDeploy' -benchtime 50x ./e2e; \
	   $(GO) test -tags e2e -run '^$$' -bench 'BenchmarkFanout' -benchtime 1x -count 3 ./e2e; \
	   $(GO) test -tags e2e -run '^$$' -bench 'BenchmarkSideBySide$$' -benchtime 5000x -count 3 ./e2e; \
	   $(GO) test -tags e2e -run '^$$' -bench 'BenchmarkSideBySideList' -benchtime 20x ./e2e; \
	   $(GO) test -run '^$$' -bench 'BenchmarkExplain' -benchtime 2000x ./apiserver/api/placement; \
	   $(GO) test -run '^$$' -bench 'BenchmarkBindings' -benchtime 1x ./controllers/scheduler; } \
	 | $(GO) run ./e2e/cmd/benchtable
	$(GO) test -run '^$$' -bench . -benchtime 200x ./tui
	$(GO) test -run '^$$' -bench BenchmarkConvert -benchtime 10x ./apiserver/yamljson

soak: kube-testenv ## long steady-state runs: 10,000 unschedulable apps for 60 s (writes/s, share of a core)
	$(GO) test -tags e2e -run '^$$' -bench 'BenchmarkUnschedulable' -benchtime 1x -timeout 30m ./e2e

demo: test-deps build kube-testenv ## start two local clusters and Krake in the background, run the walkthrough (SECURE=1: mTLS, RBAC, least-privilege controllers)
	@SECURE="$(SECURE)" ./e2e/demo.sh up "$(DEMO_DIR)" "$(DEMO_ADDR)"

demo-down: ## stop what `make demo` started
	@./e2e/demo.sh down "$(DEMO_DIR)" "$(DEMO_ADDR)"

clean:
	rm -rf bin tmp
