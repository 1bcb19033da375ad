#!/usr/bin/env bash
# Set up diagramlab on a fresh Debian/Ubuntu machine; safe and fast to re-run.
#   bash scripts/setup.sh          # graphviz + .venv with the project
#   bash scripts/setup.sh --test   # also chromium, the test extras (pytest, playwright, ...) and the
#                                  # server extra (llama-cpp-python, built from source: cmake + g++)
# Python packages come from the lock files, exact versions with their hashes (pip's hash-checking
# mode): requirements.lock (the app) or requirements-test.lock (the app + the test extras). Both pin
# torch==2.13.0+cpu, the CPU wheel that lies on this machine's disk (/opt/wheels, found through the
# lock's --find-links and pip's config), so no multi-GB CUDA build is pulled. The project itself is
# installed editable without its dependencies. `bash scripts/refresh-lock.sh` refreshes the locks.
# DIAGRAMLAB_VENV=/some/dir puts the venv there instead of .venv (refresh-lock.sh tests in a scratch one).
# Installs only what is missing.
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
# llama-cpp-python (the server extra, in the test lock: the tests start a real OpenAI-compatible
# server) has no Linux wheel on PyPI; pip compiles llama.cpp (about 5 min on 2 cores)
if [ "$want_test" = 1 ]; then
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
fi
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

venv="${DIAGRAMLAB_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
lock="requirements.lock"
[ "$want_test" = 1 ] && lock="requirements-test.lock"
# Skip pip when pyproject.toml and the lock are unchanged since the last successful install.
# (an `if`, not `$( [ ... ] && echo ...)`: under `set -e` that substitution's status 1 ended the
# script silently whenever --test was not given, so `bash scripts/run.sh` exited 1 with no output)
stamp="$venv/.diagramlab-installed"
if [ "$want_test" = 1 ]; then stamp="$stamp-test"; fi
digest=$(cat pyproject.toml "$lock" | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  pip_install() {
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 \
      | grep -v -e '^WARNING: Location' -e 'is ignored: it is neither a file nor a directory' || true
  }
  # exact versions + hashes; a package missing from the lock or a changed file fails here.
  # CMAKE_ARGS: llama.cpp for any x86-64 CPU, without its tools, tests and examples (faster build)
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF}" \
    pip_install --require-hashes -r "$lock"
  # the project itself: no dependencies (all in the lock), built with the locked setuptools
  pip_install --no-deps --no-build-isolation -e .
  "$venv/bin/python" -c "import diagram, trainer, labeler, torch, transformers, trl, gradio" \
    || { echo "setup: the Python install failed (see pip's output above)" >&2; exit 1; }
  echo "$digest" > "$stamp"
fi
echo "setup: ready ($venv, $("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
