#!/usr/bin/env bash
# Set up (if needed, including chromium for the browser tests) and run the whole test suite.
# Extra arguments go to pytest (e.g. -m "not slow", -k parse).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec "${DIAGRAMLAB_VENV:-.venv}"/bin/python -m pytest -q "$@"
