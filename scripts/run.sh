#!/usr/bin/env bash
# Set up (if needed) and start the labeler on the default checkpoint at http://127.0.0.1:7860
# Extra arguments go to `diagramlab app` (e.g. --port 8000, --checkpoint checkpoints/orpo-1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${DIAGRAMLAB_VENV:-.venv}"/bin/diagramlab app "$@"
