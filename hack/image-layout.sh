#!/usr/bin/env bash
# Reproduces the Dockerfile's stages in a scratch directory, without Docker, and runs the result the
# way the image's ENTRYPOINT does: proof that the runtime layout (production dependencies + dist/ +
# package.json, nothing else) starts. Also checks that the Dockerfile still contains the steps
# reproduced here, so the two cannot drift apart silently.
#
#   build:   npm ci (all dependencies)      -> reuses the repository's node_modules (same lock file)
#            npm run build                   -> tsc -p tsconfig.build.json into the scratch build dir
#   deps:    npm ci --omit=dev --ignore-scripts   (IMAGE_LAYOUT_OFFLINE=1: copy + npm prune --omit=dev)
#   runtime: node /app/dist/src/cmd/operator.js --version, as uid/gid 65532 when run as root
#
# Usage: hack/image-layout.sh [--keep]   (--keep leaves the scratch directory for inspection)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
keep=0; [ "${1:-}" = --keep ] && keep=1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/vpcep-image-layout.XXXXXX")
chmod 755 "$scratch"
cleanup() { if [ "$keep" = 1 ]; then log "scratch kept: $scratch"; else rm -rf "$scratch"; fi; }
trap cleanup EXIT

# 0. The Dockerfile says what this script reproduces.
dockerfile_has() { grep -qF -- "$1" Dockerfile || die "Dockerfile no longer contains: $1 (update hack/image-layout.sh)"; }
dockerfile_has 'RUN npm ci --no-audit --no-fund'
dockerfile_has 'RUN npm run build'
dockerfile_has 'RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund'
dockerfile_has 'COPY --from=deps /app/node_modules ./node_modules'
dockerfile_has 'COPY --from=build /src/dist ./dist'
dockerfile_has 'COPY package.json ./'
dockerfile_has 'USER 65532:65532'
dockerfile_has 'ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=20", "/app/dist/src/cmd/operator.js"]'
image=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-.*/\1/p' Dockerfile)
[ -n "$image" ] || die "Dockerfile: ARG NODE_IMAGE=node:<version>-... not found"
node_here=$(node --version); node_here=${node_here#v}
[ "${node_here%%.*}" = "${image%%.*}" ] || die "local node $node_here is not the image's major (${image%%.*})"
[ "$node_here" = "$image" ] || log "note: local node $node_here, image node $image (same major)"

# 1. build stage: the context the .dockerignore lets through, compiled with the dev dependencies.
log "build stage: tsc -p tsconfig.build.json"
mkdir -p "$scratch/src"
cp package.json package-lock.json tsconfig.json tsconfig.build.json "$scratch/src/"
cp -r src "$scratch/src/src"
find "$scratch/src/src" -name '*.test.ts' -delete
ln -s "$REPO_ROOT/node_modules" "$scratch/src/node_modules"
(cd "$scratch/src" && npm run --silent build)
[ -f "$scratch/src/dist/src/cmd/operator.js" ] || die "build produced no dist/src/cmd/operator.js"

# 2. deps stage: production dependencies only.
mkdir -p "$scratch/deps"
cp package.json package-lock.json "$scratch/deps/"
if [ "${IMAGE_LAYOUT_OFFLINE:-0}" = 1 ]; then
  log "deps stage (offline): copy node_modules, npm prune --omit=dev"
  cp -r node_modules "$scratch/deps/node_modules"
  (cd "$scratch/deps" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
else
  log "deps stage: npm ci --omit=dev --ignore-scripts"
  (cd "$scratch/deps" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null)
fi

# 3. runtime stage: /app = node_modules + dist + package.json, owned by root, not writable by the user.
app="$scratch/app"
mkdir -p "$app"
cp -r "$scratch/deps/node_modules" "$app/node_modules"
cp -r "$scratch/src/dist" "$app/dist"
cp package.json "$app/"
chmod -R a+rX,go-w "$app"
for dev in typescript vitest eslint prettier typescript-eslint; do
  [ ! -e "$app/node_modules/$dev" ] || die "development dependency $dev is in the runtime layout"
done
for prod in $(node -p 'Object.keys(require("./package.json").dependencies).join(" ")'); do
  [ -e "$app/node_modules/$prod" ] || die "production dependency $prod is missing from the runtime layout"
done
log "runtime layout: $(du -sh "$app" | cut -f1) ($(du -sh "$app/node_modules" | cut -f1) node_modules)"

# Run it as the image would: entrypoint + --version, from another directory, NODE_ENV=production,
# as the image's numeric user when we are root (setpriv from util-linux), with HOME unset.
run=(env -i PATH="$(dirname "$(command -v node)"):/usr/bin:/bin" NODE_ENV=production)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  run+=(setpriv --reuid=65532 --regid=65532 --clear-groups)
  user="uid 65532"
else
  user="uid $(id -u) (not root: cannot switch to 65532)"
fi
# The node flags of the ENTRYPOINT too: a node that refused one would fail here, not in a cluster.
mapfile -t node_flags < <(node -e 'const e=/^ENTRYPOINT (\[.*\])$/m.exec(require("fs").readFileSync("Dockerfile","utf8"))[1];for(const a of JSON.parse(e).slice(1,-1))console.log(a)')
out=$(cd / && "${run[@]}" node "${node_flags[@]}" "$app/dist/src/cmd/operator.js" --version) || die "vpcep-operator --version failed ($user)"
want=$(node -p 'require("./package.json").version')
echo "$out" | grep -qF "$want" || die "vpcep-operator --version printed '$out', expected it to contain $want"
log "vpcep-operator --version as $user: $out"
echo "image layout OK: $out"
