# bucketbell: the Makefile is the user's interface. Each target does one job;
# the README documents them under the same names. `make` alone runs `make
# help`, which prints the `## target: description` line above each target:
# a target without one is not listed (and a test says so).

GO        ?= go
GOFLAGS_BUILD := -tags lambda.norpc -trimpath -ldflags='-s -w'
BUILD     := .build
FUNCTIONS := notifier reviewer
CDK       := npx --no-install cdk
# The pinned npm tools (package.json): the CDK CLI, and the IAM evaluator
# the policy tests run. npm ci writes node_modules/.package-lock.json, so
# they are installed again only when the lock file changes.
CDK_CLI   := node_modules/.package-lock.json
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
export CDK_DISABLE_CLI_TELEMETRY ?= true
export npm_config_update_notifier ?= false
# The goal the user typed, for the checks' and installers' messages ("run
# make e2e again"); a sub-make keeps its parent's.
export BUCKETBELL_GOAL ?= $(MAKECMDGOALS)

.DEFAULT_GOAL := help
.PHONY: help test vet fuzz replay replay-review history build synth deploy verify-deploy destroy e2e demo bench clean

## help: list the targets with one line each (what `make` alone does)
help:
	@echo 'make TARGET [NAME=value ...]; README.md, cdk/README.md and lambda/README.md say more'
	@awk 'sub(/^## /, "") { i = index($$0, ": "); if (i) printf "  %-14s %s\n", substr($$0, 1, i - 1), substr($$0, i + 2) }' $(MAKEFILE_LIST)

# Prerequisites, checked before the slow work starts: .ci/prereqs says in one
# line what is missing and how to install it (and installs Debian's AWS CLI
# when run as root).
NEEDS := need-go need-node need-aws-cli need-admin-email need-aws-credentials
.PHONY: $(NEEDS)
$(NEEDS):
	@bash .ci/prereqs $(@:need-%=%)

# Downloads, tried again when they fail on the way (.ci/go-retry): a first
# run must not fail on what a second one would get. The stand-ins are built
# once, then kept (.ci/install-standins).
.PHONY: go-modules standins
go-modules: need-go
	@bash .ci/go-retry "downloading the Go modules" $(GO) mod download
standins: need-go
	@bash .ci/install-standins

## test: go vet and every test with -race, offline once the pinned npm tools are installed
test: need-go need-node go-modules vet $(CDK_CLI)
	$(GO) test -race -count=1 ./...

## vet: go vet only
vet: need-go
	$(GO) vet ./...

## fuzz: fuzz the event reader, then the whole handler (about 20 s each here)
# Counts, not durations: Go 1.26's fuzz coordinator can fail a duration run
# with "context deadline exceeded" at its end (go.dev/issue/75804, fixed in
# Go 1.27). FUZZ_PARSE and FUZZ_HANDLE take any -fuzztime value.
FUZZ_PARSE  ?= 200000x
FUZZ_HANDLE ?= 100000x
FUZZFLAGS   := -run '^$$' -fuzzminimizetime 5s
fuzz: need-go
	$(GO) test ./lambda/s3event $(FUZZFLAGS) -fuzz FuzzParse -fuzztime $(FUZZ_PARSE)
	$(GO) test ./lambda/notifier $(FUZZFLAGS) -fuzz FuzzHandle -fuzztime $(FUZZ_HANDLE)

## replay: run the real notifier handler on EVENT=<file> [WORLD=<file>] [FAIL=publish] [ARCHIVE=<dir> for its records]
replay: need-go
	@test -n "$(EVENT)" || { echo "usage: make replay EVENT=<file> [WORLD=<file>] [FAIL=publish] [ARCHIVE=<dir>]" >&2; exit 2; }
	@$(GO) run ./lambda/cmd/replay -event '$(EVENT)' $(if $(WORLD),-world '$(WORLD)') $(if $(FAIL),-fail '$(FAIL)') $(if $(ARCHIVE),-archive '$(ARCHIVE)')

## replay-review: run the real reviewer on WORLD=<file> (IAM state and time) [FAIL=publish]
replay-review: need-go
	@test -n "$(WORLD)" || { echo "usage: make replay-review WORLD=<file> [FAIL=publish]" >&2; exit 2; }
	@$(GO) run ./lambda/cmd/replay-review -world '$(WORLD)' $(if $(FAIL),-fail '$(FAIL)')

## history: what happened, from the change history: SOURCE=s3://<bucket>/changes/|<dir> [SINCE= UNTIL= ACTOR= KEY= PREFIX= KIND= FORMAT=text|jsonl]
# Each value goes to the command as one shell word, exactly as typed: $(value)
# keeps make from expanding a '$', and each ' is closed, escaped and reopened.
# Only values given on make's command line count: PREFIX, KEY or FORMAT in
# the environment usually mean something else.
history_arg = $(if $(filter command line,$(origin $1)),$2 '$(subst ','\'',$(value $1))')
history: need-go
	@$(GO) build -o $(BUILD)/cmd/history ./lambda/cmd/history
	@$(BUILD)/cmd/history $(call history_arg,SOURCE,-source) $(call history_arg,SINCE,-since) \
		$(call history_arg,UNTIL,-until) $(call history_arg,ACTOR,-actor) $(call history_arg,KEY,-key) \
		$(call history_arg,PREFIX,-prefix) $(call history_arg,KIND,-kind) $(call history_arg,FORMAT,-format)

## build: the linux/arm64 bootstrap of each function, as deployed
BOOTSTRAPS := $(FUNCTIONS:%=$(BUILD)/%/bootstrap)
build: need-go $(BOOTSTRAPS)

$(BUILD)/%/bootstrap: FORCE
	@mkdir -p $(@D)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $@ ./lambda/cmd/$*

# The same bootstraps for this machine, for the Runtime Interface Emulator.
$(BUILD)/host/%/bootstrap: FORCE
	@mkdir -p $(@D)
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $@ ./lambda/cmd/$*

.PHONY: FORCE
FORCE:

## bench: cold start against a hello-world function, cost per record, enrichment, batching, cost
BENCH_BOOTSTRAPS = $(BUILD)/notifier/bootstrap $(BUILD)/hello/bootstrap $(BUILD)/host/notifier/bootstrap $(BUILD)/host/hello/bootstrap
bench: need-go standins $(BENCH_BOOTSTRAPS)
	$(GO) run ./lambda/cmd/bench

CDK_CONTEXT = $(if $(ADMIN_EMAIL),-c adminEmail=$(ADMIN_EMAIL))

$(CDK_CLI): package-lock.json
	npm ci --no-progress --no-audit --no-fund

## synth: the CloudFormation template into cdk.out/, offline (ADMIN_EMAIL=a@x.com[,b@y.com] [CDK_FLAGS='-c keyPrefix=agency/'])
synth: need-go need-node $(BOOTSTRAPS) $(CDK_CLI)
	$(CDK) synth --quiet $(CDK_CONTEXT) $(CDK_FLAGS)

## deploy: build, synthesize, show the settings and ask before a security setting changes, then deploy (ADMIN_EMAIL=... required)
# The template deployed is the one checked: cdk deploy --app cdk.out.
deploy: need-go need-node need-admin-email need-aws-credentials $(BOOTSTRAPS) $(CDK_CLI)
	$(CDK) synth --quiet $(CDK_CONTEXT) $(CDK_FLAGS)
	$(GO) run ./cdk predeploy cdk.out/bucketbell.template.json
	$(CDK) deploy --app cdk.out

## verify-deploy: after a deploy, check the live stack with your AWS credentials: subscriptions, an upload's digest, an alarm's e-mail
# It uploads and deletes one test image and forces one alarm to ALARM and
# back (see cdk/README.md). VERIFY_FLAGS='-margin 5m' waits longer.
verify-deploy: need-go need-aws-credentials
	@$(GO) build -o $(BUILD)/verify-deploy ./lambda/cmd/verify-deploy
	@$(BUILD)/verify-deploy $(VERIFY_FLAGS)

## destroy: delete the stack; the image bucket and its access logs are kept
# cdk destroy runs the app to find the stack and the app wants an address;
# deleting the stack never reads it, so any valid one will do.
destroy: need-go need-node need-aws-credentials $(BOOTSTRAPS) $(CDK_CLI)
	$(CDK) destroy -c adminEmail=$(or $(ADMIN_EMAIL),destroy@example.invalid) $(CDK_FLAGS)

# make e2e and make demo run the stack's own template, synthesized offline
# with a short digest window, and the stand-ins .ci/install-standins puts
# in $(BUILD)/bin at pinned versions (once; later runs check and go on).
LOCAL        := $(BUILD)/local
LOCAL_WINDOW ?= 3
LOCAL_ENV     = BUCKETBELL_STANDINS=$(abspath $(BUILD)/bin) \
	BUCKETBELL_BOOTSTRAP=$(abspath $(BUILD)/host/notifier/bootstrap) \
	BUCKETBELL_TEMPLATE=$(abspath $(LOCAL)/cdk.out/bucketbell.template.json)

.PHONY: local-stack
local-stack: need-go need-node need-aws-cli go-modules standins $(BUILD)/host/notifier/bootstrap
	@$(MAKE) --no-print-directory synth ADMIN_EMAIL=local@example.com CDK_FLAGS='-o $(LOCAL)/cdk.out -c digestWindowSeconds=$(LOCAL_WINDOW)'

## e2e: the whole workflow on 127.0.0.1 with MinIO, the Lambda emulator and goaws; stops all it starts
e2e: local-stack
	$(LOCAL_ENV) $(GO) test -tags e2e -race -count=1 -v -timeout 15m -run '^(TestE2E|TestDemo)$$' ./lambda/local

## demo: the same stack for a person: prints how to act as mediacouser and to read the history, then each e-mail, until Ctrl-C
demo: local-stack
	$(GO) build -o $(LOCAL)/demo ./lambda/cmd/demo
	@$(LOCAL_ENV) $(LOCAL)/demo

## clean: remove .build and cdk.out (the stand-ins are built again on next use)
clean:
	rm -rf $(BUILD) cdk.out
