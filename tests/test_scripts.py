"""The README's run command, `bash scripts/run.sh`, through its own set-up path (not `--test`).

CI runs `scripts/test.sh`, i.e. `setup.sh --test`; a bug only on the plain path (the stamp line
under `set -e` once ended the script with status 1 and no output) went unseen. This starts the real
script on a free port with a temp data dir, waits until the page answers, then stops the whole
process group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from testing.fakes import write_pool

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 180  # set-up check + loading the tiny model on shared cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "python").exists(),
                    reason="no .venv yet: run `bash scripts/setup.sh` once")
def test_run_sh_sets_up_and_serves_the_labeler(tmp_path, default_checkpoint):
    data = tmp_path / "data"
    write_pool(data / "orpo_prompts.csv")
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh", "--port", str(port), "--data-dir", str(data),
             "--checkpoints-dir", str(tmp_path / "checkpoints"),
             "--checkpoint", str(default_checkpoint)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline and proc.poll() is None:
                if answers(f"http://127.0.0.1:{port}/"):
                    break
                time.sleep(1)
            text = log.read_text(errors="replace")
            assert proc.poll() is None, f"run.sh exited {proc.returncode}:\n{text}"
            assert answers(f"http://127.0.0.1:{port}/"), f"no page after {STARTUP_SECONDS} s:\n{text}"
            assert "setup: ready" in text, text
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
