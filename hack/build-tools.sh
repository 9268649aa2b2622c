#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl (from k8s.io/kubernetes through a generated
# wrapper module), etcd and helm from the Go module proxy into the tools cache. Idempotent: a binary
# that exists and reports the pinned version is not rebuilt. Prints the directory of the binaries last.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v go >/dev/null || die "go is required to build the local control plane"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
mkdir -p "$TOOLS_BIN"
WORK="$TOOLS_ROOT/$TOOLS_KEY/src"
start=$(date +%s)
built=0

has_version() { # binary, expected substring of its version output (no pipe: grep -q + pipefail races)
  local out
  [ -x "$1" ] || return 1
  out=$("$1" "${@:3}" 2>/dev/null) || return 1
  [[ "$out" == *"$2"* ]]
}

# One build at a time: parallel test runs or helpers calling this script wait for each other instead
# of deleting each other's work directories.
exec 9>"$TOOLS_ROOT/$TOOLS_KEY.lock"
if ! flock -n 9; then
  log "another build of the tools is running; waiting for it"
  flock 9
fi

build_kube() {
  local kv="$KUBE_VERSION" sv="0.${KUBE_VERSION#1.}" minor
  minor=$(echo "$kv" | cut -d. -f2)
  if has_version "$TOOLS_BIN/kube-apiserver" "v$kv" --version &&
     has_version "$TOOLS_BIN/kube-controller-manager" "v$kv" --version &&
     has_version "$TOOLS_BIN/kubectl" "v$kv" version --client; then
    log "kubernetes v$kv: cached"; return
  fi
  log "kubernetes v$kv: generating wrapper module (staging modules at v$sv)"
  local dir="$WORK/kubernetes"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init local/vpcep-k8s-tools >/dev/null 2>&1
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@v$kv" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')
  go mod edit -json "$upstream" > upstream.json
  q() { node -e "const m=JSON.parse(require('fs').readFileSync('upstream.json','utf8')); console.log($1)"; }
  local mods godebugs m g
  mods=$(q '(m.Replace||[]).filter(r=>r.New.Path.startsWith("./staging/")).map(r=>r.Old.Path).join(" ")')
  [ -n "$mods" ] || die "no staging replaces found in k8s.io/kubernetes@v$kv go.mod"
  # Staging modules are published as v0.X.Y for v1.X.Y. The proxy may lack some that none of our three
  # binaries import (sample-*): those get an empty local stub so the module graph still resolves; a stub
  # that a binary does need makes the build fail below with "no required module provides package".
  local stubbed=""
  for m in $mods; do
    if go mod download "$m@v$sv" >/dev/null 2>&1; then
      go mod edit -replace="$m=$m@v$sv"
    else
      mkdir -p "stubs/$m"; printf 'module %s\n\ngo 1.24\n' "$m" > "stubs/$m/go.mod"
      go mod edit -replace="$m=./stubs/$m"
      stubbed="$stubbed ${m#k8s.io/}"
    fi
  done
  log "kubernetes v$kv: $(echo "$mods" | wc -w) staging modules replaced${stubbed:+; stubbed (not on the proxy):$stubbed}"
  godebugs=$(q '(m.Godebug||[]).map(g=>g.Key+"="+g.Value).join(" ")')
  for g in $godebugs; do go mod edit -godebug="$g"; done
  for c in kube-apiserver kube-controller-manager kubectl; do
    go get -tool "k8s.io/kubernetes/cmd/$c@v$kv" >/dev/null
  done
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=v$kv -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=unknown -X $p.buildDate=$(date -u +%FT%TZ)"
  done
  for c in kube-apiserver kube-controller-manager kubectl; do
    if [ "$c" = kubectl ]; then has_version "$TOOLS_BIN/$c" "v$kv" version --client && continue
    else has_version "$TOOLS_BIN/$c" "v$kv" --version && continue; fi
    log "kubernetes v$kv: building $c"
    go build -p 2 -trimpath -tags selinux,notest -ldflags "$ld" -o "$TOOLS_BIN/$c" "k8s.io/kubernetes/cmd/$c"
  done
  "$TOOLS_BIN/kube-apiserver" --version >&2
  built=1
}

build_etcd() {
  if has_version "$TOOLS_BIN/etcd" "$ETCD_VERSION" --version; then log "etcd v$ETCD_VERSION: cached"; return; fi
  log "etcd v$ETCD_VERSION: building (separate wrapper module)"
  local dir="$WORK/etcd"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init local/vpcep-etcd-tools >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$TOOLS_BIN/etcd" go.etcd.io/etcd/server/v3
  "$TOOLS_BIN/etcd" --version | head -1 >&2
  built=1
}

build_helm() {
  if has_version "$TOOLS_BIN/helm" "v$HELM_VERSION" version --short; then log "helm v$HELM_VERSION: cached"; return; fi
  log "helm v$HELM_VERSION: building"
  local dir="$WORK/helm"
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  go mod init local/vpcep-helm-tools >/dev/null 2>&1
  go get -tool "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >/dev/null
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" -o "$TOOLS_BIN/helm" helm.sh/helm/v3/cmd/helm
  "$TOOLS_BIN/helm" version --short >&2
  built=1
}

build_etcd
build_helm
build_kube
[ "$built" = 0 ] || log "cold build took $(( $(date +%s) - start )) s"
echo "$TOOLS_BIN"
