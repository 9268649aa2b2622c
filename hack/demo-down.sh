#!/usr/bin/env bash
# Stops what `make demo` started: the operator, the simulator, then the control plane (by recorded PIDs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEMO_DIR="${VPCEP_DEMO_DIR:-$REPO_ROOT/.local}"
for name in operator simulator; do stop_pidfile "$DEMO_DIR/$name.pid"; done
bash "$HACK_DIR/cluster-down.sh" "$DEMO_DIR/cluster"
rm -f "$DEMO_DIR/kubeconfig" "$DEMO_DIR/simulator.url"
log "demo stopped"
