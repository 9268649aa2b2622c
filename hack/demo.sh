#!/usr/bin/env bash
# `make demo`: a local control plane, the VPCEP simulator and the operator, then the examples, watched
# until every VpcEndpointService is Ready. Everything stays running afterwards; `make demo-down` stops it.
# State lives in ${VPCEP_DEMO_DIR:-.local} (kubeconfig, logs, PIDs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
DEMO_DIR="${VPCEP_DEMO_DIR:-$REPO_ROOT/.local}"
mkdir -p "$DEMO_DIR"
DEMO_DIR="$(cd "$DEMO_DIR" && pwd)"
CLUSTER_DIR="$DEMO_DIR/cluster"
KUBECONFIG_PATH="$DEMO_DIR/kubeconfig"
TIMEOUT="${VPCEP_DEMO_TIMEOUT:-180}"
AK=demo-access-key SK=demo-secret-key PROJECT=0123456789abcdef0123456789abcdef REGION=cn-north-4

alive() { [ -f "$DEMO_DIR/$1.pid" ] && kill -0 "$(cat "$DEMO_DIR/$1.pid")" 2>/dev/null; }

log "building the operator and the simulator"
npm run --silent build
log "building (or reusing) the control-plane binaries (the first time takes 10-20 minutes)"
TOOLS=$(bash hack/build-tools.sh | tail -n 1)
KUBECTL="$TOOLS/kubectl"
export KUBECONFIG="$KUBECONFIG_PATH"

if [ -f "$CLUSTER_DIR/kube-apiserver.pid" ] && kill -0 "$(cat "$CLUSTER_DIR/kube-apiserver.pid")" 2>/dev/null; then
  log "control plane already running"
else
  log "starting the local control plane (etcd + kube-apiserver + kube-controller-manager)"
  bash hack/cluster-up.sh "$CLUSTER_DIR"
fi
cp "$CLUSTER_DIR/kubeconfig" "$KUBECONFIG_PATH"

log "installing the CRD"
"$KUBECTL" apply --server-side -f crds/ >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null

if alive simulator; then
  log "simulator already running at $(cat "$DEMO_DIR/simulator.url")"
else
  log "starting vpcep-simulator (create delay ${VPCEP_DEMO_CREATE_DELAY_MS:-8000} ms)"
  : > "$DEMO_DIR/simulator.log"
  node dist/src/cmd/simulator.js --port 0 --access-key "$AK" --secret-key "$SK" --project-id "$PROJECT" \
    --region "$REGION" --create-delay "${VPCEP_DEMO_CREATE_DELAY_MS:-8000}" --delete-delay 3000 \
    >"$DEMO_DIR/simulator.log" 2>&1 &
  echo $! > "$DEMO_DIR/simulator.pid"
  for _ in $(seq 1 100); do grep -q 'listening on' "$DEMO_DIR/simulator.log" && break; sleep 0.1; done
  grep -o 'http://127.0.0.1:[0-9]*' "$DEMO_DIR/simulator.log" | head -n 1 > "$DEMO_DIR/simulator.url"
  [ -s "$DEMO_DIR/simulator.url" ] || die "the simulator did not start; see $DEMO_DIR/simulator.log"
fi
SIM_URL=$(cat "$DEMO_DIR/simulator.url")

if alive operator; then
  log "operator already running"
else
  log "starting vpcep-operator against the simulator at $SIM_URL"
  HUAWEICLOUD_SDK_AK="$AK" HUAWEICLOUD_SDK_SK="$SK" HUAWEICLOUD_SDK_PROJECT_ID="$PROJECT" \
  HUAWEICLOUD_REGION="$REGION" VPCEP_ENDPOINT="$SIM_URL" \
    node dist/src/cmd/operator.js --kubeconfig "$KUBECONFIG_PATH" --leader-elect \
    --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 --resync-period 2m \
    >"$DEMO_DIR/operator.log" 2>&1 &
  echo $! > "$DEMO_DIR/operator.pid"
fi

# The endpoint service examples of the default namespace (examples/endpoint-*.yaml need their own
# namespaces and, across accounts, a second account's credentials).
service_examples=(-f examples/vm-service.yaml -f examples/lb-service.yaml)
log "applying ${service_examples[*]}"
"$KUBECTL" apply "${service_examples[@]}"

names=$("$KUBECTL" get "${service_examples[@]}" -o name | sed 's|.*/||')
log "watching until every example is Ready (timeout ${TIMEOUT}s)"
deadline=$(( $(date +%s) + TIMEOUT ))
last=""
while :; do
  now=$("$KUBECTL" get vpces -o wide 2>/dev/null || true)
  # Print a new table only when something but AGE (column 9) changed, like `kubectl get -w`.
  key=$(printf '%s\n' "$now" | awk '{ $9 = ""; print }')
  if [ "$key" != "$last" ]; then printf '%s\n\n' "$now"; last="$key"; fi
  ready=1
  for n in $names; do
    s=$("$KUBECTL" get vpces "$n" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$s" = "True" ] || ready=0
  done
  [ "$ready" = 1 ] && break
  alive operator || die "the operator exited; see $DEMO_DIR/operator.log"
  [ "$(date +%s)" -lt "$deadline" ] || die "not Ready after ${TIMEOUT}s; see $DEMO_DIR/operator.log and kubectl describe vpces"
  sleep 1
done

# A consumer stands in until the consumer-side resource exists: the partner account of
# examples/lb-service.yaml connects an endpoint (the simulator's test control), and the operator accepts
# it by the acceptDomains rule on its next connection poll.
PARTNER=5e1d2c3b4a5968778695a4b3c2d1e0f9
LB_ID=$("$KUBECTL" get vpces lb-service -o jsonpath='{.status.id}')
log "a consumer from the partner account $PARTNER connects to lb-service ($LB_ID)"
curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"domainId\":\"$PARTNER\"}" \
  "$SIM_URL/_sim/services/$LB_ID/connections" >/dev/null
deadline=$(( $(date +%s) + 60 ))
until [ "$("$KUBECTL" get vpces lb-service -o jsonpath='{.status.connectionCounts.accepted}' 2>/dev/null)" = 1 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || die "the partner's connection was not accepted within 60 s; see $DEMO_DIR/operator.log"
  sleep 1
done
log "accepted by the acceptDomains rule:"
"$KUBECTL" get vpces -o wide
"$KUBECTL" get vpces lb-service -o jsonpath='{range .status.connections[*]}{.endpointId}{"  "}{.domainId}{"  "}{.status}{"\n"}{end}'

cat <<MSG

All examples are Ready, and the partner's connection to lb-service was accepted by rule. Everything keeps running:
  export KUBECONFIG=$KUBECONFIG_PATH     # kubectl: any recent one, or $KUBECTL
  kubectl get vpces                     # or: kubectl get huaweicloud
  kubectl describe vpces vm-service     # conditions and events
  tail -f $DEMO_DIR/operator.log         # the operator's JSON logs
  curl -s $SIM_URL/_sim/counters        # cloud calls the simulator has seen

Try more: edit examples/lb-service.yaml (ports, tags, description) and apply it again; connect another
consumer (curl -X POST -d '{"domainId":"5e1d2c3b4a5968778695a4b3c2d1e0f9"}' $SIM_URL/_sim/services/$LB_ID/connections);
delete one with kubectl delete -f examples/vm-service.yaml and watch the cloud service go.
Stop everything with: make demo-down
MSG
