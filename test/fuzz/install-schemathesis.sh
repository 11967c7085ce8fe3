#!/usr/bin/env bash
# Installs the pinned schemathesis into its own virtualenv under the cache folder, once.
# Sourced or run; prints the path of the `st` binary on stdout.
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
MP_CACHE="${MP_CACHE:-$HOME/.cache/meterplane}"
venv="$MP_CACHE/venv-schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/python" -c "import schemathesis" >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi
echo "$venv/bin/st"
