#!/usr/bin/env bash
# Set up diagramlab on a fresh Debian/Ubuntu machine; safe and fast to re-run.
#   bash scripts/setup.sh          # graphviz + .venv with the project
#   bash scripts/setup.sh --test   # also chromium and the test extras (pytest, playwright, ...)
# Installs only what is missing. torch is pinned to 2.13.0 first so pip takes the CPU build that
# lies on this machine's disk instead of pulling a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing Debian packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
command -v neato >/dev/null 2>&1 || missing+=(graphviz)
installed fonts-dejavu-core || missing+=(fonts-dejavu-core)
if [ "$want_test" = 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extras=""
[ "$want_test" = 1 ] && extras="[test]"
# Skip pip when pyproject.toml and the extras are unchanged since the last successful install.
# (an `if`, not `$( [ ... ] && echo ...)`: under `set -e` that substitution's status 1 ended the
# script silently whenever --test was not given, so `bash scripts/run.sh` exited 1 with no output)
stamp=".venv/.diagramlab-installed"
if [ "$want_test" = 1 ]; then stamp="$stamp-test"; fi
digest=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import diagram, trainer, labeler, torch, transformers, trl, gradio" \
    || { echo "setup: the Python install failed (see pip's output above)" >&2; exit 1; }
  echo "$digest" > "$stamp"
fi
echo "setup: ready (.venv, $(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
