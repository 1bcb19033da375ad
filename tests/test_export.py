"""Exports (diagram/export.py): the files are opened the way a person's tools would open them.

Run: .venv/bin/python -m pytest tests/test_export.py -q   (needs graphviz's `dot` and `neato` on PATH)
"""

from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from diagram import Diagram, RenderError, parse
from diagram.export import FORMATS, export_bytes, export_files, mermaid_label, parse_formats, to_dot, to_mermaid

needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None or shutil.which("neato") is None,
                                    reason="graphviz not installed")
SVG = "{http://www.w3.org/2000/svg}"

SAMPLE = """[0, 100, 100, 'rectangle', 40, 40, 'solid arrow', (255, 0, 0), (0, 0, 0), [1], 'input']
[1, 500, 300, 'round rectangle', 80, 40, 'dashed line', (0, 255, 0), (0, 0, 255), [2], 'hidden']
[2, 900, 500, 'circle', 60, 60, 'solid line', (0, 0, 255), (200, 100, 0), [0], 'output']"""

EVIL = ['he said "hi"', '"]; a -> b [', "} digraph x { y", "back\\slash \\N end\\", "<b>x</b> & #1",
        "two\nlines", "nul\x00 bell\x07"]


def diagram(text: str = SAMPLE):
    result = parse(text)
    assert result.ok, result.problems
    return result.diagram


def graphviz(args: list[str], source: str) -> str:
    proc = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return proc.stdout.decode("utf-8")


def plain_nodes(plain: str) -> dict[str, tuple[float, float, str]]:
    """node name -> (x, y, label) from graphviz's -Tplain output (inches)."""
    out = {}
    for line in plain.splitlines():
        if line.startswith("node "):
            parts = shlex.split(line)  # node name x y w h label ...; a label with spaces is quoted
            out[parts[1]] = (float(parts[2]), float(parts[3]), parts[6])
    return out


def test_parse_formats():
    assert parse_formats("svg,png,dot") == ("svg", "png", "dot")
    assert parse_formats(" PNG , svg,png ") == ("png", "svg")
    assert parse_formats("all") == FORMATS
    assert parse_formats(["mmd"]) == ("mermaid",)
    with pytest.raises(ValueError, match="unknown export format 'pdf'"):
        parse_formats("svg,pdf")
    with pytest.raises(ValueError, match="no export format"):
        parse_formats(" , ")


@needs_graphviz
def test_files_open_as_their_formats(tmp_path):
    d = diagram()
    paths = export_files(d, tmp_path / "out", "candidate_0", "svg,png,dot,mermaid")
    assert list(paths) == ["svg", "png", "dot", "mermaid"]
    assert {p.name for p in paths.values()} == {"candidate_0.svg", "candidate_0.png", "candidate_0.dot",
                                                "candidate_0.mmd"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths.values())
    # SVG: XML with one node group per node, labels as text
    root = ET.parse(paths["svg"]).getroot()
    assert root.tag == f"{SVG}svg"
    node_groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.findtext(f"{SVG}title") != "frame"]
    assert len(node_groups) == 3
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"input", "hidden", "output"} <= texts
    # PNG: the header and the app's 1000x600 frame
    data = paths["png"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(data)).size == (1000, 600)
    # DOT: `dot` lays it out, `neato -n2` keeps the pinned positions (relative; it shifts the box)
    source = paths["dot"].read_text(encoding="utf-8")
    laid_out = ET.fromstring(graphviz(["dot", "-Tsvg"], source))
    assert sum(1 for g in laid_out.iter(f"{SVG}g") if g.get("class") == "node") == 3
    assert sum(1 for g in laid_out.iter(f"{SVG}g") if g.get("class") == "edge") == 3
    pinned = plain_nodes(graphviz(["neato", "-n2", "-Tplain"], source))
    assert {name: label for name, (_, _, label) in pinned.items()} == {"n0": "input", "n1": "hidden", "n2": "output"}
    for a, b in (("n0", "n1"), ("n1", "n2")):
        na, nb = d.nodes[int(a[1:])], d.nodes[int(b[1:])]
        assert (pinned[b][0] - pinned[a][0]) * 72 == pytest.approx(nb.x - na.x, abs=1)
        assert (pinned[b][1] - pinned[a][1]) * 72 == pytest.approx(-(nb.y - na.y), abs=1)  # y up
    ET.fromstring(graphviz(["neato", "-n2", "-Tsvg"], source))
    # Mermaid: a flowchart in the drawing's direction with every node and edge style
    mermaid = paths["mermaid"].read_text(encoding="utf-8").splitlines()
    assert mermaid[0] == "flowchart TD"  # mean edge vector (0, 0): no clear direction
    assert '  n0["input"]' in mermaid and '  n1("hidden")' in mermaid and '  n2(("output"))' in mermaid
    assert {"  n0 --> n1", "  n1 -.- n2", "  n2 --- n0"} <= set(mermaid)


def test_dot_and_mermaid_follow_the_flow():
    chain = diagram("[0, 100, 300, 'rectangle', 40, 40, 'solid arrow', (0,0,255), (0,0,0), [1]]\n"
                    "[1, 300, 300, 'rectangle', 40, 40, 'solid arrow', (0,0,255), (0,0,0), [2]]\n"
                    "[2, 500, 300, 'rectangle', 40, 40, 'solid arrow', (0,0,255), (0,0,0), []]")
    assert "rankdir=LR" in to_dot(chain)
    assert to_mermaid(chain).startswith("flowchart LR\n")
    assert to_mermaid(chain).count("-->") == 2


@needs_graphviz
@pytest.mark.parametrize("label", EVIL)
def test_labels_cannot_break_the_sources(label):
    text = SAMPLE.replace("'hidden'", repr(label))
    d = diagram(text)
    source = to_dot(d)
    nodes = plain_nodes(graphviz(["neato", "-n2", "-Tplain"], source))
    assert set(nodes) == {"n0", "n1", "n2"}  # no injected node, nothing lost
    assert sum(1 for g in ET.fromstring(graphviz(["dot", "-Tsvg"], source)).iter(f"{SVG}g")
               if g.get("class") == "edge") == 3
    escaped = mermaid_label(label)
    assert '"' not in escaped and "\n" not in escaped and "<b>" not in escaped
    assert f'n1("{escaped}")' in to_mermaid(d)


def test_empty_label_and_empty_diagram():
    assert mermaid_label(None) == " " and mermaid_label("") == " "
    empty = Diagram()
    assert to_mermaid(empty) == "flowchart TD\n"
    assert "n0" not in to_dot(empty)


def test_bad_stem_and_failed_render_write_nothing(tmp_path, monkeypatch):
    d = diagram()
    for stem in ("", "../x", "a/b", ".."):
        with pytest.raises(ValueError, match="plain file name"):
            export_files(d, tmp_path, stem, "dot")

    def broken(diagram, fmt="png", **_):
        raise RenderError("graphviz failed to render the diagram: boom")

    monkeypatch.setattr("diagram.export.render", broken)
    with pytest.raises(RenderError):
        export_files(d, tmp_path / "x", "c", "dot,svg")
    assert not (tmp_path / "x").exists()  # all rendered before anything is written
    assert set(export_bytes(d, "dot,mermaid")) == {"dot", "mermaid"}  # text formats need no graphviz


def test_generate_command_writes_the_chosen_formats(micro_sft_checkpoint, tmp_path, capsys):
    import argparse

    from trainer.generation.generate import add_generate_arguments, run_generate

    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    args = parser.parse_args(["--checkpoint", str(micro_sft_checkpoint), "--prompt", "flowchart: start -> end",
                              "-k", "2", "--out-dir", str(tmp_path / "out"), "--seed", "0",
                              "--format", "svg,png,dot"])
    assert run_generate(args) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"candidate_{i}.{ext}" for i in (0, 1) for ext in ("dot", "png", "svg", "txt")]
    ET.parse(tmp_path / "out" / "candidate_1.svg")
    assert (tmp_path / "out" / "candidate_0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if shutil.which("dot"):
        graphviz(["dot", "-Tsvg"], (tmp_path / "out" / "candidate_0.dot").read_text(encoding="utf-8"))
    with pytest.raises(SystemExit):
        parser.parse_args(["--prompt", "x", "--out-dir", "o", "--format", "svg,pdf"])
    assert "unknown export format 'pdf'" in capsys.readouterr().err


@needs_graphviz
def test_playground_offers_every_download(tmp_path):
    from labeler import playground as P

    files = P.download_files(tmp_path, SAMPLE)
    assert list(files) == list(P.DOWNLOADS)
    assert {p.name for p in files.values()} == {"diagram.png", "diagram.svg", "diagram.dot", "diagram.mmd"}
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ET.parse(files["svg"])
    graphviz(["dot", "-Tsvg"], files["dot"].read_text(encoding="utf-8"))
    assert files["mermaid"].read_text(encoding="utf-8").startswith("flowchart")
    assert P.download_files(tmp_path, SAMPLE) == files  # cached by text
    other = P.download_files(tmp_path, SAMPLE.replace("'input'", "'in'"))
    assert other["dot"].parent != files["dot"].parent and "in" in other["dot"].read_text(encoding="utf-8")
    assert P.download_files(tmp_path, "not a diagram") == {}
