#!/usr/bin/env bash
# Starts a local control plane in DIR, the way controller-runtime's envtest does: etcd, kube-apiserver
# and kube-controller-manager (garbage collector, namespace and service-account controllers only),
# on free loopback ports, with a fresh PKI. Writes DIR/kubeconfig (admin, system:masters) and the
# PIDs to DIR/*.pid. Retries the whole start on new ports up to 5 times.
#
#   hack/cluster-up.sh DIR                     start (DIR must not hold a running cluster)
#   hack/cluster-up.sh --restart-apiserver DIR stop kube-apiserver and start it again, same ports and PKI
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

restart_only=0
if [ "${1:-}" = "--restart-apiserver" ]; then restart_only=1; shift; fi
[ $# -eq 1 ] || die "usage: $0 [--restart-apiserver] DIR"
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
for b in etcd kube-apiserver kube-controller-manager kubectl; do
  [ -x "$TOOLS_BIN/$b" ] || die "$TOOLS_BIN/$b missing: run hack/build-tools.sh (make tools) first"
done
KUBECTL="$TOOLS_BIN/kubectl"

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

stop_pid() { stop_pidfile "$DIR/$1.pid"; }

make_pki() {
  local p="$DIR/pki"
  mkdir -p "$p"; cd "$p"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
  openssl req -x509 -new -key ca.key -days 7 -subj "/CN=vpcep-test-ca" -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue() { # name subject ext
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  issue server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  issue admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  cd - >/dev/null
}

write_kubeconfig() {
  local b64='base64 -w0'
  cat > "$DIR/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $($b64 < "$DIR/pki/ca.crt")
users:
- name: envtest
  user:
    client-certificate-data: $($b64 < "$DIR/pki/admin.crt")
    client-key-data: $($b64 < "$DIR/pki/admin.key")
contexts:
- name: envtest
  context: {cluster: envtest, user: envtest, namespace: default}
current-context: envtest
KC
  chmod 600 "$DIR/kubeconfig"
}

start_etcd() {
  "$TOOLS_BIN/etcd" --name=default --data-dir="$DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true \
    --listen-metrics-urls="" >"$DIR/logs/etcd.log" 2>&1 &
  echo $! > "$DIR/etcd.pid"
  local i
  for i in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' && return 0
    alive etcd || return 1
    sleep 0.1
  done
  return 1
}

start_apiserver() {
  # --shutdown-watch-termination-grace-period: on SIGTERM, close open watches after 2 s instead of
  # waiting for them (kube-controller-manager's watches otherwise hold a graceful stop until stop_pid's
  # 20 s SIGKILL, so --restart-apiserver took ~26 s and was never graceful; with it, ~7 s).
  "$TOOLS_BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" --cert-dir="$DIR/pki" \
    --secure-port="$APISERVER_PORT" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true \
    --disable-admission-plugins=ServiceAccount --authorization-mode=RBAC \
    --tls-cert-file="$DIR/pki/server.crt" --tls-private-key-file="$DIR/pki/server.key" \
    --client-ca-file="$DIR/pki/ca.crt" --service-account-issuer="https://127.0.0.1:$APISERVER_PORT/" \
    --service-account-key-file="$DIR/pki/sa.pub" --service-account-signing-key-file="$DIR/pki/sa.key" \
    --shutdown-watch-termination-grace-period=2s >>"$DIR/logs/kube-apiserver.log" 2>&1 &
  echo $! > "$DIR/kube-apiserver.pid"
  local i
  for i in $(seq 1 600); do
    "$KUBECTL" --kubeconfig "$DIR/kubeconfig" get --raw /readyz >/dev/null 2>&1 && break
    alive kube-apiserver || return 1
    sleep 0.1
  done
  "$KUBECTL" --kubeconfig "$DIR/kubeconfig" get ns default >/dev/null 2>&1
}

start_kcm() {
  "$TOOLS_BIN/kube-controller-manager" --kubeconfig="$DIR/kubeconfig" --leader-elect=false --secure-port=0 \
    --controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller \
    --service-account-private-key-file="$DIR/pki/sa.key" --root-ca-file="$DIR/pki/ca.crt" \
    --use-service-account-credentials=false >"$DIR/logs/kube-controller-manager.log" 2>&1 &
  echo $! > "$DIR/kube-controller-manager.pid"
  sleep 0.5
  alive kube-controller-manager
}

if [ "$restart_only" = 1 ]; then
  # shellcheck disable=SC1091
  . "$DIR/ports.env"
  stop_pid kube-apiserver
  start_apiserver || die "kube-apiserver did not come back; see $DIR/logs/kube-apiserver.log"
  log "kube-apiserver restarted on https://127.0.0.1:$APISERVER_PORT"
  exit 0
fi

alive kube-apiserver && die "a control plane is already running in $DIR (stop it with hack/cluster-down.sh $DIR)"
start=$(date +%s)
for attempt in 1 2 3 4 5; do
  rm -rf "$DIR/etcd" "$DIR/pki" "$DIR/logs"; mkdir -p "$DIR/logs"
  ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); APISERVER_PORT=$(free_port)
  [ "$ETCD_PORT" != "$ETCD_PEER_PORT" ] && [ "$ETCD_PORT" != "$APISERVER_PORT" ] && [ "$ETCD_PEER_PORT" != "$APISERVER_PORT" ] || continue
  printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" > "$DIR/ports.env"
  make_pki
  write_kubeconfig
  if start_etcd && start_apiserver && start_kcm; then
    log "control plane up in $(( $(date +%s) - start )) s: https://127.0.0.1:$APISERVER_PORT (kubeconfig $DIR/kubeconfig)"
    exit 0
  fi
  log "attempt $attempt failed; last log lines:"
  tail -n 5 "$DIR"/logs/*.log >&2 || true
  stop_pid kube-controller-manager; stop_pid kube-apiserver; stop_pid etcd
done
die "could not start the control plane after 5 attempts"
