"""The diagram commands of the `diagramlab` CLI: check, render and gallery (no torch import;
pandas and tqdm only for the gallery, so check and render start in a fraction of the time).

    diagramlab check diagram.txt [--json]       # parse problems + readability; exit 1 on errors
    diagramlab render diagram.txt -o out.png    # or out.svg; FILE may be - for stdin
    diagramlab gallery [--data data/sft_dataset_llm.csv] [-n 12] [--cols 4] [-o gallery.png]

The gallery reads the SFT CSV (`output_data`), the prompt pool (`reference`) or a preference
CSV (`chosen`) and lays the rendered rows out on a contact sheet, captioned with the request.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from diagram import extract_request, parse, render
from diagram.metrics import flow_direction, readability
from diagram.render import RenderError
from trainer.core.fileio import atomic_write
from trainer.core.schema import DEFAULT_SFT_DATA

EXIT_ERRORS, EXIT_USAGE = 1, 2


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


# ---- check ------------------------------------------------------------------------------------

def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="diagram text file (one node per line), or - for stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")


def check_report(text: str) -> dict:
    """{"nodes", "problems": [{"line", "severity", "message"}], "metrics": {...}}."""
    result = parse(text)
    metrics = asdict(readability(result.diagram))
    metrics["flow_direction"] = flow_direction(result.diagram)
    return {"nodes": len(result.diagram.nodes),
            "problems": [asdict(p) for p in result.problems],
            "metrics": metrics}


def run_check(args: argparse.Namespace) -> int:
    try:
        report = check_report(_read_text(args.file))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"diagramlab check: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    n_errors = sum(p["severity"] == "error" for p in report["problems"])
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        n_warnings = len(report["problems"]) - n_errors
        print(f"{args.file}: {report['nodes']} nodes, {n_errors} errors, {n_warnings} warnings")
        for p in report["problems"]:
            # the parser's messages usually start with "line N:" already
            message = p["message"].removeprefix(f"line {p['line']}: ")
            print(f"  line {p['line']}: {p['severity']}: {message}")
        print("metrics: " + " ".join(f"{k}={v}" for k, v in report["metrics"].items()))
    return EXIT_ERRORS if n_errors or not report["nodes"] else 0


# ---- render -----------------------------------------------------------------------------------

def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="diagram text file, or - for stdin")
    parser.add_argument("-o", "--out", required=True, help="output image: .png or .svg")


def run_render(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        print(f"diagramlab render: {out} must end in .png or .svg", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = parse(_read_text(args.file))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"diagramlab render: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for p in result.problems:
        message = p.message.removeprefix(f"line {p.line}: ")
        print(f"line {p.line}: {p.severity}: {message}", file=sys.stderr)
    if not result.diagram.nodes:
        print("diagramlab render: no node to draw", file=sys.stderr)
        return EXIT_ERRORS
    try:
        atomic_write(out, render(result.diagram, fmt), mode=0o644)
    except RenderError as exc:
        print(f"diagramlab render: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"wrote {out}")
    return 0


# ---- gallery ----------------------------------------------------------------------------------

def add_gallery_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=DEFAULT_SFT_DATA,
                        help="SFT CSV, prompt pool CSV or preference CSV")
    parser.add_argument("-n", type=int, default=12, help="number of rows to draw")
    parser.add_argument("--offset", type=int, default=0, help="first data row (0-based)")
    parser.add_argument("--cols", type=int, default=4, help="thumbnails per row")
    parser.add_argument("--thumb-width", type=int, default=400, help="thumbnail width in px")
    parser.add_argument("-o", "--out", default="gallery.png", help="output PNG")


def gallery_items(path: str | Path) -> list[tuple[str, str]]:
    """(caption, diagram text) per row of any of the project's CSV files."""
    from trainer.core.datasets_io import DataFileError, load_csv  # pandas: the gallery's only

    df = load_csv(path, ())
    if "reference" in df.columns and "request" in df.columns:
        return list(zip(df["request"], df["reference"]))
    if "output_data" in df.columns and "input_data" in df.columns:
        return [(extract_request(p), a) for p, a in zip(df["input_data"], df["output_data"])]
    if "chosen" in df.columns and "prompt" in df.columns:
        return [(extract_request(p), a) for p, a in zip(df["prompt"], df["chosen"])]
    raise DataFileError(path, "no diagram column (reference, output_data or chosen)", line=1)


def _thumbnail(text: str, width: int):
    height = width * 3 // 5
    result = parse(text)
    try:
        image = Image.open(io.BytesIO(render(result.diagram, "png"))).convert("RGB")
        return image.resize((width, height), Image.LANCZOS), len(result.errors)
    except (RenderError, OSError) as exc:
        image = Image.new("RGB", (width, height), "white")
        ImageDraw.Draw(image).text((10, 10), f"render failed: {exc}"[:60], fill="red")
        return image, len(result.errors)


def contact_sheet(items: list[tuple[str, str]], cols: int, width: int, progress: bool = True):
    """A PIL image: one captioned thumbnail per (caption, diagram text), `cols` per row."""
    from tqdm import tqdm
    font = ImageFont.load_default(size=13)
    pad, line_h, n_lines = 10, 16, 3
    cell_w, cell_h = width + pad, width * 3 // 5 + pad + line_h * n_lines + pad
    rows = (len(items) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cell_w + pad, rows * cell_h + pad), (236, 236, 236))
    draw = ImageDraw.Draw(sheet)
    wrap = max(20, width // 7)
    for i, (caption, text) in enumerate(tqdm(items, desc="rendering", disable=not progress)):
        x, y = pad + (i % cols) * cell_w, pad + (i // cols) * cell_h
        thumb, n_errors = _thumbnail(text, width)
        sheet.paste(thumb, (x, y))
        draw.rectangle((x, y, x + width - 1, y + thumb.height - 1), outline=(180, 180, 180))
        lines = textwrap.wrap(caption, wrap, max_lines=n_lines, placeholder=" ...")
        if n_errors:
            lines = [f"[{n_errors} parse errors]"] + lines[: n_lines - 1]
        for k, line in enumerate(lines):
            draw.text((x, y + thumb.height + 4 + k * line_h), line, fill=(30, 30, 30), font=font)
    return sheet


def run_gallery(args: argparse.Namespace) -> int:
    from trainer.core.datasets_io import DataFileError
    if args.n < 1 or args.cols < 1 or args.thumb_width < 50:
        print("diagramlab gallery: -n and --cols must be >= 1, --thumb-width >= 50",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        items = gallery_items(args.data)[args.offset: args.offset + args.n]
    except DataFileError as exc:
        print(f"diagramlab gallery: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not items:
        print(f"diagramlab gallery: no rows in {args.data} at offset {args.offset}",
              file=sys.stderr)
        return EXIT_USAGE
    sheet = contact_sheet(items, min(args.cols, len(items)), args.thumb_width)
    buffer = io.BytesIO()
    # an adaptive 256-colour palette keeps the flat-colour sheet small (docs/gallery.png < 1 MB)
    sheet.quantize(colors=256).save(buffer, format="PNG", optimize=True)
    atomic_write(Path(args.out), buffer.getvalue(), mode=0o644)
    print(f"wrote {args.out} ({len(items)} diagrams)")
    return 0
