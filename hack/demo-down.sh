#!/usr/bin/env bash
# Stops what `make demo` started: the operator, the simulator, then the control plane (by recorded PIDs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEMO_DIR="${VPCEP_DEMO_DIR:-$REPO_ROOT/.local}"
for name in operator simulator; do
  f="$DEMO_DIR/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
bash "$HACK_DIR/cluster-down.sh" "$DEMO_DIR/cluster"
rm -f "$DEMO_DIR/kubeconfig" "$DEMO_DIR/simulator.url"
log "demo stopped"
