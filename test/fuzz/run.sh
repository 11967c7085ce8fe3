#!/usr/bin/env bash
# The fuzz step of .ci/run: installs the pinned schemathesis (cached), then fuzzes a started
# stack as an admin and as a customer (test/fuzz/run.ts), within a hard time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
st=$(bash test/fuzz/install-schemathesis.sh)
# SIGTERM first, so run.ts stops the stack it started; SIGKILL 20 s later if it does not.
timeout --signal=TERM --kill-after=20 "${FUZZ_TIMEOUT_SECONDS:-280}" node test/fuzz/run.ts "$st"
