#!/usr/bin/env bash
# Stops the control plane started by hack/cluster-up.sh in DIR: kube-controller-manager, then
# kube-apiserver, then etcd, each by its recorded PID (SIGTERM, SIGKILL after 20 s; never by name).
# Removes DIR afterwards unless VPCEP_KEEP_CLUSTER_DIR=1 (logs stay readable for debugging).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
DIR="$1"
[ -d "$DIR" ] || { log "nothing to stop in $DIR"; exit 0; }
for name in kube-controller-manager kube-apiserver etcd; do stop_pidfile "$DIR/$name.pid"; done
if [ "${VPCEP_KEEP_CLUSTER_DIR:-0}" = 1 ]; then log "stopped; kept $DIR"; else rm -rf "$DIR"; log "stopped"; fi
