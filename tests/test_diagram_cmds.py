"""`diagramlab check | render | gallery`, run in a child process as `python -m diagramlab` (the
dispatcher the installed console script calls; test_cli checks that entry point)."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from trainer.data.synth import POOL_COLUMNS, SFT_COLUMNS, make_prompt_pool, make_sft_rows, write_csv

GOOD = ("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (200, 200, 255), (0, 0, 128), [1]]\n"
        "[1, 300, 300, 'rectangle', 60, 40, 'solid arrow', (200, 200, 255), (0, 0, 128), []]\n")
BROKEN = GOOD + "[2, 500, 300, 'hexagon', 40, 40, 'solid arrow', (1, 1, 1), (0, 0, 0), []]\n"


def diagramlab(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "diagramlab", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_check_json_reports_nodes_and_metrics(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text(GOOD)
    proc = diagramlab("check", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["nodes"] == 2 and report["problems"] == []
    metrics = report["metrics"]
    assert metrics["overlaps"] == 0 and metrics["off_canvas"] == 0
    assert metrics["flow_direction"] == "left_to_right"
    assert {"crossings", "min_gap", "score"} <= set(metrics)


def test_check_exits_1_and_names_the_bad_line(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text(BROKEN)
    proc = diagramlab("check", str(path), "--json")
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    assert [(p["line"], p["severity"]) for p in problems] == [(3, "error")]
    text = diagramlab("check", str(path))
    assert text.returncode == 1 and "line 3: error:" in text.stdout


def test_check_reads_stdin_and_reports_unreadable_files(tmp_path):
    assert diagramlab("check", "-", stdin=GOOD).returncode == 0
    assert diagramlab("check", str(tmp_path / "missing.txt")).returncode == 2


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_render_picks_the_format_from_the_suffix(tmp_path, suffix, magic):
    src, out = tmp_path / "d.txt", tmp_path / f"out{suffix}"
    src.write_text(GOOD)
    proc = diagramlab("render", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(magic)


def test_render_from_stdin_warns_about_dropped_lines(tmp_path):
    out = tmp_path / "out.png"
    proc = diagramlab("render", "-", "-o", str(out), stdin=BROKEN)
    assert proc.returncode == 0 and "line 3: error" in proc.stderr
    assert Image.open(out).size == (1000, 600)


@pytest.mark.parametrize("stdin, out, code", [("garbage\n", "out.png", 1), (GOOD, "out.jpg", 2)])
def test_render_failures(tmp_path, stdin, out, code):
    proc = diagramlab("render", "-", "-o", str(tmp_path / out), stdin=stdin)
    assert proc.returncode == code
    assert not (tmp_path / out).exists()


@pytest.mark.parametrize("kind", ["sft", "pool"])
def test_gallery_makes_a_contact_sheet(tmp_path, kind):
    data = tmp_path / f"{kind}.csv"
    if kind == "sft":
        write_csv(make_sft_rows(2, 3, seed=0), data, SFT_COLUMNS)
    else:
        rows = make_prompt_pool(seed=1, n_dl=2, n_other=3, n_heldout_dl=0, n_heldout_other=0)
        write_csv(rows, data, POOL_COLUMNS)
    out = tmp_path / "sheet.png"
    proc = diagramlab("gallery", "--data", str(data), "-n", "5", "--cols", "2",
                      "--thumb-width", "200", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    width, height = Image.open(out).size
    assert width == 2 * 210 + 10  # two columns of 200 px thumbnails with 10 px padding
    assert height > 3 * 120  # three rows of thumbnails plus captions


def test_gallery_rejects_a_file_without_diagrams(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("a,b\n1,2\n")
    proc = diagramlab("gallery", "--data", str(data), "-o", str(tmp_path / "g.png"))
    assert proc.returncode == 2 and "no diagram column" in proc.stderr
