"""The install path: the lock files setup.sh installs from, and the README's run command,
`bash scripts/run.sh`, through its own set-up path (not `--test`).

CI runs `scripts/test.sh`, i.e. `setup.sh --test`; a bug only on the plain path (the stamp line
under `set -e` once ended the script with status 1 and no output) went unseen. This starts the real
script on a free port with a temp data dir, waits until the page answers, then stops the whole
process group.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from testing.fakes import write_pool
from testing.ports import free_port

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 180  # set-up check + loading the tiny model on shared cores


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


VENV = Path(os.environ.get("DIAGRAMLAB_VENV") or REPO / ".venv")  # setup.sh's choice (refresh-lock.sh: a scratch one)
LOCKS = ("requirements.lock", "requirements-test.lock")
LOCAL_TORCH = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")


def pins(lock: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{name: (version, sha256 hashes)} of a pip-compile lock file."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    name = None
    for line in (REPO / lock).read_text(encoding="utf-8").splitlines():
        head = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if head:
            name = head.group(1).lower()
            found[name] = (head.group(2), ())
        hashed = re.search(r"--hash=sha256:([0-9a-f]{64})", line)
        if hashed and name:
            found[name] = (found[name][0], found[name][1] + (hashed.group(1),))
        if not line.startswith(" ") and not head:
            name = None
    return found


def test_the_locks_pin_every_package_with_hashes_and_agree():
    app, full = pins(LOCKS[0]), pins(LOCKS[1])
    assert all(hashes for _, hashes in full.values()), "a pin without a hash: pip --require-hashes refuses it"
    assert {k: v for k, v in full.items() if k in app} == app  # the app's lock: the same pins, less the test extras
    assert {"pytest", "hypothesis", "playwright"} <= set(full) - set(app)
    assert {"gradio", "transformers", "trl", "peft", "torch", "setuptools"} <= set(app)
    version, hashes = full["torch"]
    assert version == "2.13.0+cpu"  # the CPU wheel on disk, never PyPI's multi-GB CUDA build
    if LOCAL_TORCH.is_file():
        assert hashes == (hashlib.sha256(LOCAL_TORCH.read_bytes()).hexdigest(),)


def test_setup_installs_from_the_lock_and_ci_runs_the_test_script():
    setup = (REPO / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert '--require-hashes -r "$lock"' in setup and 'lock="requirements-test.lock"' in setup
    assert "--no-deps --no-build-isolation -e ." in setup  # the project itself adds no unlocked package
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("bash scripts/test.sh")


@pytest.mark.slow
@pytest.mark.skipif(not (VENV / "bin" / "python").exists(),
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
