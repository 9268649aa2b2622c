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

# Stops the process whose PID is recorded in FILE: SIGTERM, SIGKILL after 20 s, then removes FILE.
# Never looks processes up by name.
stop_pidfile() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
