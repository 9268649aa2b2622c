#!/usr/bin/env bash
# Shared helpers for the test-bed scripts: versions, the tools cache directory, logging.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
. "$HACK_DIR/versions.env"
TOOLS_ROOT="${VPCEP_TOOLS_DIR:-$HOME/.cache/vpcep-operator/tools}"
TOOLS_KEY="k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}"
TOOLS_BIN="$TOOLS_ROOT/$TOOLS_KEY/bin"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
