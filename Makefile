# vpcep-operator: every install and test step lives here, so a fresh machine needs only `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install build lint typecheck unit integration test tools cluster cluster-down demo bench chaos clean

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

unit: install ## Unit tests (no network, virtual time)
	npx vitest run --project unit

tools: ## Build (or reuse from the cache) kube-apiserver, etcd, kubectl, helm
	bash hack/build-tools.sh >/dev/null

integration: install build tools ## Integration tests against a real kube-apiserver + etcd and the simulator
	npx vitest run --project integration

test: lint typecheck unit integration ## Everything CI runs

cluster: tools ## Start a local control plane; kubeconfig at .local/kubeconfig
	bash hack/cluster-up.sh .local/cluster

cluster-down: ## Stop the local control plane started by `make cluster`
	bash hack/cluster-down.sh .local/cluster

clean: ## Remove build output
	rm -rf dist coverage
