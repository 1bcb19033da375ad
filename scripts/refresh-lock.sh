#!/usr/bin/env bash
# Refresh the lock files that scripts/setup.sh installs from, then test them.
#   bash scripts/refresh-lock.sh                   # newest versions pyproject.toml allows, then the
#                                                   # whole suite in a scratch venv built from them
#   bash scripts/refresh-lock.sh -m "not slow"     # the same; extra arguments go to pytest
#   bash scripts/refresh-lock.sh --from-venv .venv # lock exactly what that venv has (no upgrade,
#                                                   # no test run): how the first lock was made
# requirements-test.lock = the app + the test and server extras; requirements.lock = the app alone, with the
# same pins. Both keep torch at 2.13.0, the CPU wheel on this machine's disk
# (requirements-pins.in). pip-tools runs from a throwaway venv; the developer's .venv is untouched.
# If the suite passes, commit the two lock files; if not, `git checkout -- requirements*.lock`.
set -euo pipefail
cd "$(dirname "$0")/.."

from_venv=""
if [ "${1:-}" = "--from-venv" ]; then
  from_venv="${2:?--from-venv needs a venv directory}"
  shift 2
fi

work=$(mktemp -d /tmp/diagramlab-lock.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q --disable-pip-version-check "pip-tools>=7.5,<8" 2>&1 \
  | grep -v 'is ignored: it is neither a file nor a directory' || true

constraints=(-c requirements-pins.in)
upgrade=(--upgrade)
if [ -n "$from_venv" ]; then
  # the venv's exact versions (and its setuptools, which torch requires and pip freeze hides)
  "$from_venv/bin/python" -m pip freeze --exclude-editable 2>/dev/null > "$work/venv-pins.txt"
  "$from_venv/bin/python" -c 'import setuptools; print("setuptools==" + setuptools.__version__)' \
    >> "$work/venv-pins.txt"
  constraints=(-c "$work/venv-pins.txt")
  upgrade=()
fi

compile() {  # compile OUTPUT [pip-compile options...]
  local out="$1"; shift
  CUSTOM_COMPILE_COMMAND="bash scripts/refresh-lock.sh" nice -n 10 "$work/tools/bin/pip-compile" \
    -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
    "$@" --output-file "$out" pyproject.toml
  # a scratch constraint file is no reason worth recording
  sed -i "\|#   -c $work/|d" "$out"
}
echo "refresh-lock: resolving (a minute or two)"
compile requirements-test.lock "${upgrade[@]}" --extra test --extra server "${constraints[@]}"
# the app's lock: the same pins as the test lock, less the test-only packages
grep -E '^[A-Za-z0-9][A-Za-z0-9._-]*==' requirements-test.lock | sed 's/ *\\$//' > "$work/test-pins.txt"
compile requirements.lock --upgrade -c "$work/test-pins.txt"

if ! grep -q '^torch==2\.13\.0+cpu ' requirements-test.lock; then
  echo "refresh-lock: torch is not the CPU wheel from /opt/wheels:" >&2
  grep '^torch==' requirements-test.lock >&2 || true
  exit 1
fi
echo "refresh-lock: $(grep -c '==' requirements.lock) pins in requirements.lock," \
  "$(grep -c '==' requirements-test.lock) in requirements-test.lock"
git --no-pager diff --stat -- requirements.lock requirements-test.lock || true
[ -n "$from_venv" ] && exit 0

# the suite against the new pins, in a scratch venv built the way setup.sh builds .venv
export DIAGRAMLAB_VENV="$work/venv"
bash scripts/test.sh "$@"
echo "refresh-lock: the suite passed on the new pins: commit requirements.lock and requirements-test.lock"
