#!/usr/bin/env bash
# Stops the control plane started by hack/cluster-up.sh in DIR: kube-controller-manager, then
# kube-apiserver, then etcd, each by its recorded PID (SIGTERM, SIGKILL after 20 s; never by name).
# Removes DIR afterwards unless VPCEP_KEEP_CLUSTER_DIR=1 (logs stay readable for debugging).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
DIR="$1"
[ -d "$DIR" ] || { log "nothing to stop in $DIR"; exit 0; }
for name in kube-controller-manager kube-apiserver etcd; do
  f="$DIR/$name.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
done
if [ "${VPCEP_KEEP_CLUSTER_DIR:-0}" = 1 ]; then log "stopped; kept $DIR"; else rm -rf "$DIR"; log "stopped"; fi
