#!/usr/bin/env bash
# `make demo`: a local control plane, the VPCEP simulator and the operator, then the examples, watched
# until every VpcEndpointService and VpcEndpoint is Ready: the endpoint services of the default
# namespace, both sides in one cluster (team-a's service, team-b's endpoint by serviceRef, accepted by
# acceptInCluster and published as a Service), and a partner account's endpoint across accounts (by
# serviceName, whitelisted and accepted by lb-service's acceptDomains rule). Everything stays running
# afterwards; `make demo-down` stops it. State lives in ${VPCEP_DEMO_DIR:-.local} (kubeconfig, logs, PIDs).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
DEMO_DIR="${VPCEP_DEMO_DIR:-$REPO_ROOT/.local}"
mkdir -p "$DEMO_DIR"
DEMO_DIR="$(cd "$DEMO_DIR" && pwd)"
CLUSTER_DIR="$DEMO_DIR/cluster"
KUBECONFIG_PATH="$DEMO_DIR/kubeconfig"
TIMEOUT="${VPCEP_DEMO_TIMEOUT:-180}"
AK=demo-access-key SK=demo-secret-key PROJECT=0123456789abcdef0123456789abcdef REGION=cn-north-4
# The partner account: examples/lb-service.yaml whitelists it and accepts it by acceptDomains; its
# project is the one examples/endpoint-cross-account.yaml names. The simulator knows it (--credential).
PARTNER=5e1d2c3b4a5968778695a4b3c2d1e0f9 PARTNER_PROJECT=0f1e2d3c4b5a69788796a5b4c3d2e1f0
PARTNER_AK=demo-partner-access-key PARTNER_SK=demo-partner-secret-key

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

log "installing the CRDs"
"$KUBECTL" apply --server-side -f crds/ >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s -f crds/ >/dev/null

if alive simulator; then
  log "simulator already running at $(cat "$DEMO_DIR/simulator.url")"
else
  log "starting vpcep-simulator (create delay ${VPCEP_DEMO_CREATE_DELAY_MS:-8000} ms)"
  : > "$DEMO_DIR/simulator.log"
  node dist/src/cmd/simulator.js --port 0 --access-key "$AK" --secret-key "$SK" --project-id "$PROJECT" \
    --region "$REGION" --create-delay "${VPCEP_DEMO_CREATE_DELAY_MS:-8000}" --delete-delay 3000 \
    --credential "$PARTNER_AK:$PARTNER_SK:$PARTNER_PROJECT:$PARTNER" \
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
    node --max-semi-space-size=4 --heap-growing-percent=20 dist/src/cmd/operator.js --kubeconfig "$KUBECONFIG_PATH" --leader-elect \
    --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 --resync-period 2m \
    >"$DEMO_DIR/operator.log" 2>&1 &
  echo $! > "$DEMO_DIR/operator.pid"
fi

# The endpoint services of the default namespace, and both sides in one cluster (team-a's service,
# team-b's endpoint; their namespaces first).
for ns in team-a team-b; do
  "$KUBECTL" create namespace "$ns" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
done
examples=(-f examples/vm-service.yaml -f examples/lb-service.yaml -f examples/endpoint-in-cluster.yaml)
log "applying ${examples[*]}"
"$KUBECTL" apply "${examples[@]}"

# examples/endpoint-cross-account.yaml, made real for the simulator: the partner's keys in its Secret,
# the full name of lb-service (known once the cloud has created it) as the shared service name, and no
# fixed portIp (the simulator gives each subnet its own CIDR; the endpoint takes its first free address).
cross_account() {
  local full="$1"
  sed -e "s|REPLACE-WITH-ACCESS-KEY|$PARTNER_AK|" -e "s|REPLACE-WITH-SECRET-KEY|$PARTNER_SK|" \
    -e "s|^\(  projectId:\).*|\1 $PARTNER_PROJECT|" -e "s|^\(  serviceName:\).*|\1 $full|" \
    -e '/^  portIp:/d' examples/endpoint-cross-account.yaml
}

# Every resource the demo waits for: KIND/NAMESPACE/NAME as the jsonpath below prints them.
expected=(VpcEndpointService/default/vm-service VpcEndpointService/default/lb-service
  VpcEndpointService/team-a/orders VpcEndpoint/team-b/orders-db VpcEndpoint/default/partner-api)
row='{range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {.status.status} {.status.conditions[?(@.type=="Ready")].reason}{"\n"}{end}'
log "watching until every example is Ready (timeout ${TIMEOUT}s)"
deadline=$(( $(date +%s) + TIMEOUT ))
last="" partner_applied=0
while :; do
  if [ "$partner_applied" = 0 ]; then
    full=$("$KUBECTL" get vpces lb-service -o jsonpath='{.status.serviceName}' 2>/dev/null || true)
    if [ -n "$full" ]; then
      log "the partner account connects to lb-service by its name $full (examples/endpoint-cross-account.yaml)"
      cross_account "$full" | "$KUBECTL" apply -f -
      partner_applied=1
    fi
  fi
  rows=$("$KUBECTL" get vpces,vpce -A -o jsonpath="$row" 2>/dev/null || true)
  # A new table only when a status or a reason changed, like `kubectl get -w`.
  if [ "$rows" != "$last" ]; then
    printf '%s\n\n' "$("$KUBECTL" get vpces,vpce -A 2>/dev/null || true)"
    last="$rows"
  fi
  ready=1
  for r in "${expected[@]}"; do
    printf '%s\n' "$rows" | grep -q "^$r=True " || ready=0
  done
  [ "$ready" = 1 ] && break
  alive operator || die "the operator exited; see $DEMO_DIR/operator.log"
  [ "$(date +%s)" -lt "$deadline" ] ||
    die "not Ready after ${TIMEOUT}s; see $DEMO_DIR/operator.log and kubectl describe vpces,vpce -A"
  sleep 1
done

log "all Ready:"
"$KUBECTL" get vpces,vpce -A
log "lb-service's connections (the partner's endpoint, accepted by the acceptDomains rule):"
"$KUBECTL" get vpces lb-service -o jsonpath='{range .status.connections[*]}{.endpointId}{"  "}{.domainId}{"  "}{.status}{"\n"}{end}'
log "team-b reaches team-a's orders service as the Service orders-db.team-b (published by the operator):"
"$KUBECTL" -n team-b get service orders-db

cat <<MSG

All examples are Ready: team-b's endpoint was accepted in-cluster by team-a's acceptInCluster rule and
published as the Service orders-db.team-b, and the partner's endpoint was accepted by rule across
accounts. Everything keeps running:
  export KUBECONFIG=$KUBECONFIG_PATH     # kubectl: any recent one, or $KUBECTL
  kubectl get vpces,vpce -A             # or: kubectl get huaweicloud -A
  kubectl describe vpces vm-service     # conditions and events
  kubectl -n team-b describe vpce orders-db
  tail -f $DEMO_DIR/operator.log         # the operator's JSON logs
  curl -s $SIM_URL/_sim/counters        # cloud calls the simulator has seen

Try more: edit examples/lb-service.yaml (ports, tags, description) and apply it again; create a
VpcEndpoint in a namespace team-a's acceptInCluster does not list and watch it wait in
pendingAcceptance; delete one with kubectl delete -f examples/vm-service.yaml and watch the cloud
service go.
Stop everything with: make demo-down
MSG
