#!/bin/sh
# One-shot (compose service `temporal-register`, temporalio/admin-tools image): creates the
# namespace Meterplane uses and registers its search attributes, then exits. Idempotent.
# The same commands for a production cluster are in deploy/README.md ("Temporal").
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"

until temporal operator cluster health | grep -q SERVING; do
  echo "waiting for the Temporal frontend at $TEMPORAL_ADDRESS"
  sleep 2
done

if ! temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$ns" --retention 720h
fi

# A new namespace takes a few seconds to reach every frontend's cache.
until temporal operator search-attribute list --namespace "$ns" >/dev/null 2>&1; do
  sleep 1
done

for attr in TenantId SubscriptionStatus; do
  if temporal operator search-attribute list --namespace "$ns" | grep -qw "$attr"; then
    echo "search attribute $attr already registered"
  else
    temporal operator search-attribute create --namespace "$ns" --name "$attr" --type Keyword
  fi
done
echo "namespace $ns is ready"
