# vpcep-operator: every install and test step lives here, so a fresh machine needs only `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install build lint typecheck unit integration test tools cluster cluster-down demo bench bench-scale chaos clean \
	lua hadolint chart-crds kustomize image-layout

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## Install the Node dependencies (npm ci)

build: install ## Compile TypeScript to dist/
	npm run --silent build

lint: install ## eslint + prettier --check
	npm run --silent lint

typecheck: install ## tsc --noEmit over src and tests
	npm run --silent typecheck

unit: install lua ## Unit tests (no network, virtual time)
	npx vitest run --project unit

tools: ## Build (or reuse from the cache) kube-apiserver, etcd, kubectl, helm
	bash hack/build-tools.sh >/dev/null

integration: install build tools ## Integration tests against a real kube-apiserver + etcd and the simulator
	npx vitest run --project integration

test: lint typecheck unit integration image-layout ## Everything CI runs

bench: install build ## Benchmarks: print tables of figures and ratios against a same-run baseline (never fail on time)
	npx vitest run --project bench

# Resources applied by `make bench-scale` (`make bench-scale N=100`), and its other knobs (README,
# "Benchmarks"): each one given (`make bench-scale N=300 SIM_QPS=20`) is VPCEP_SCALE_<knob> for the run.
N ?= 300
SCALE_KNOBS := SIM_QPS SIM_THROTTLE_MODE QPS BURST CREATE_DELAY_MS DELETE_DELAY_MS RESYNC_S STEADY_S \
	APPLY_CONCURRENCY RESTART_QPS RESTART_BURST RESTART_WINDOW_S WORKERS
bench-scale: export VPCEP_SCALE_N = $(N)
bench-scale: install build tools ## Scale run on the real control plane (N=300 resources): figures against lower bounds (never fails on time)
	$(foreach k,$(SCALE_KNOBS),$(if $($(k)),VPCEP_SCALE_$(k)='$($(k))')) npx vitest run --project scale

# Knobs of `make chaos` (README, "Contributing"): CHAOS_<knob>=value is VPCEP_CHAOS_<knob> for the run.
CHAOS_KNOBS := SEED RESOURCES KILLS REPLICAS APISERVER_RESTART FAULT_RATE
chaos: install build tools ## Crash-and-fault run (~1-2 min): no cloud service leaked, duplicated or wrongly deleted
	$(foreach k,$(CHAOS_KNOBS),$(if $(CHAOS_$(k)),VPCEP_CHAOS_$(k)='$(CHAOS_$(k))')) npx vitest run --project chaos

cluster: tools ## Start a local control plane; kubeconfig at .local/kubeconfig
	bash hack/cluster-up.sh .local/cluster
	cp .local/cluster/kubeconfig .local/kubeconfig
	@echo "export KUBECONFIG=$$PWD/.local/kubeconfig"

cluster-down: ## Stop the local control plane started by `make cluster`
	bash hack/cluster-down.sh .local/cluster
	rm -f .local/kubeconfig

demo: install ## README's run command: control plane + simulator + operator + examples, until Ready
	bash hack/demo.sh

demo-down: ## Stop everything `make demo` started
	bash hack/demo-down.sh

clean: ## Remove build output
	rm -rf dist coverage

# ---- Shipping: image, chart, kustomize base, ArgoCD health check (deploy/, Dockerfile) ----
# Root needs no sudo; anyone else gets it for the package install only.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHART := deploy/helm/vpcep-operator

lua: ## Install the Lua 5.1 interpreter (ArgoCD's engine) for the health.lua tests
	@command -v lua5.1 >/dev/null || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y lua5.1)

hadolint: ## Lint the Dockerfile with hadolint when Debian packages it (skipped with a note otherwise)
	@command -v hadolint >/dev/null || ($(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y hadolint) \
	  || { echo "hadolint: no Debian package here; Dockerfile lint skipped"; exit 0; }
	@! command -v hadolint >/dev/null || hadolint Dockerfile

chart-crds: ## Generate the Helm chart's CRD templates from crds/ (a unit test checks for drift)
	node hack/chart-crds.mjs

# The tools' helm, located without starting a (long, possibly concurrent) build when it is already there.
HELM_BIN = $(shell bash -c '. hack/lib.sh && echo "$$TOOLS_BIN"')/helm

kustomize: chart-crds ## Regenerate deploy/kustomize from the Helm chart (a test checks for drift)
	@[ -x "$(HELM_BIN)" ] || bash hack/build-tools.sh >/dev/null
	bash deploy/generate-kustomize.sh deploy/kustomize "$(HELM_BIN)"

image-layout: install ## Reproduce the Dockerfile's steps without Docker and run `vpcep-operator --version`
	bash hack/image-layout.sh
