"""Turning diagram text and app data into what the page shows: image files and markdown.

Images are rendered once per distinct text into a per-app directory under the system temp dir
(named by a hash of the text and format), so re-showing a candidate costs nothing and Gradio may
serve the file. Text that yields no drawable node gets a grey placeholder with the reason.

    path = image_file(render_dir, text)              # PNG path for a gr.Image
    md = problems_markdown(parse(text).problems)
"""

from __future__ import annotations

import hashlib
import html
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from diagram import CANVAS_HEIGHT, CANVAS_WIDTH, Diagram, RenderError, parse, render
from diagram.metrics import back_edges, path_ranks, tidy
from diagram.render import FONT_SIZE, MAX_LABEL_CHARS, MAX_LABEL_SCALE, label_box, wrap_label
from diagram.parse import ParseResult
from diagram.plan import DENSE, Plan
from labeler.common import UserError
from labeler.limits import prune_dir
from trainer.core.fileio import atomic_write, os_error_message

MAX_PROBLEMS_SHOWN = 30
MAX_DIAGRAM_CHARS = 200_000
MIN_LABEL_PX = 11  # labels on a card at least this tall as shown (cropped_file's box)
RENDER_THREADS = 4  # cards drawn at once (cropped_files)


def tag(kind: str, text: str) -> str:
    """A small coloured label (styled in assets/style.css: ok, bad, warn, busy)."""
    return f'<span class="tag {kind}">{html.escape(text)}</span>'


def _write_once(path: Path, data: bytes) -> Path:
    """Write via a temp file + rename so a concurrent reader never sees half an image (a cache:
    no fsync)."""
    if not path.exists():
        try:
            atomic_write(path, data, durable=False)
        except OSError as exc:  # disk full: one message for the page, no part file left
            raise UserError(os_error_message(exc, "write the rendered image")) from exc
        prune_dir(path.parent)  # the render cache stays under its size budget
    return path


def _png_bytes(img: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def placeholder_file(render_dir: Path, message: str) -> Path:
    """A 1000x600 grey frame saying why there is no drawing."""
    path = Path(render_dir) / f"ph-{hashlib.sha1(message.encode()).hexdigest()[:16]}.png"
    if not path.exists():
        img = Image.new("RGB", (CANVAS_WIDTH, CANVAS_HEIGHT), (236, 236, 240))
        draw = ImageDraw.Draw(img)
        draw.rectangle([4, 4, CANVAS_WIDTH - 5, CANVAS_HEIGHT - 5], outline=(190, 60, 60), width=4)
        draw.text((CANVAS_WIDTH // 2, CANVAS_HEIGHT // 2), message, fill=(120, 40, 40),
                  anchor="mm", font_size=40)
        atomic_write(path, _png_bytes(img), durable=False)
    return path


def _image_path(render_dir: Path, text: str, fmt: str = "png", label_scale: float = 1.0,
                fit_frame: bool = False) -> Path:
    scaled = f"\0{label_scale:.2f}" if label_scale != 1.0 else ""
    scaled += "\0fit" if fit_frame else ""
    key = hashlib.sha1(f"{fmt}\0{text}{scaled}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return Path(render_dir) / f"d-{key}.{fmt}"


def image_file(render_dir: Path, text: str, fmt: str = "png",
               result: ParseResult | None = None, label_scale: float = 1.0,
               fit_frame: bool = False) -> Path:
    """The rendered diagram (whatever nodes parse) as a file; a placeholder when none does.
    `label_scale` != 1: a display copy with labels that many times their size; `fit_frame`: the
    frame grows where a label would be cut at the canvas edge (display copies)."""
    path = _image_path(render_dir, text, fmt, label_scale, fit_frame)
    if path.exists():
        return path
    result = result or parse(text)
    if not result.diagram.nodes:
        if fmt != "png":
            raise RenderError("there is no node to draw")
        return placeholder_file(render_dir, "no drawable node")
    try:
        return _write_once(path, render(result.diagram, fmt, label_scale=label_scale,
                                        fit_frame=fit_frame))
    except RenderError:
        if fmt != "png":
            raise
        return placeholder_file(render_dir, "graphviz could not draw this")


def _drawing_box(rgb: Image.Image, margin: int, min_size: tuple[int, int]):
    """The crop box around everything not white (plus `margin`), at least `min_size`; None if blank."""
    box = ImageOps.invert(rgb.convert("L")).getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half_w = max(right - left + 2 * margin, min_size[0]) / 2
    half_h = max(bottom - top + 2 * margin, min_size[1]) / 2
    return (max(0, int(cx - half_w)), max(0, int(cy - half_h)),
            min(rgb.width, int(cx + half_w)), min(rgb.height, int(cy + half_h)))


def _drawn_extent(diagram: Diagram, margin: int, min_size: tuple[int, int]):
    """(width, height) px of the crop `_drawing_box` would cut from the canvas-size drawing,
    from the geometry (nodes and their labels at FONT_SIZE, wrapped as drawn, clipped to the canvas); None if no
    node is on the canvas."""
    boxes = []
    for node in diagram.nodes:
        boxes.append((node.x - node.width / 2, node.y - node.height / 2,
                      node.x + node.width / 2, node.y + node.height / 2))
        if node.label and node.label.strip():
            boxes.append(label_box(node, wrap_label(node.label[:MAX_LABEL_CHARS], node.width),
                                   FONT_SIZE))  # a long label wrapped as drawn
    left, top = max(0.0, min(b[0] for b in boxes)), max(0.0, min(b[1] for b in boxes))
    right = min(float(CANVAS_WIDTH), max(b[2] for b in boxes))
    bottom = min(float(CANVAS_HEIGHT), max(b[3] for b in boxes))
    if right <= left or bottom <= top:
        return None
    return (min(CANVAS_WIDTH, max(right - left + 2 * margin, min_size[0])),
            min(CANVAS_HEIGHT, max(bottom - top + 2 * margin, min_size[1])))


def cropped_files(render_dir: Path, texts, box: tuple[int, int] | None = None) -> list[Path]:
    """`cropped_file` of each text, drawn side by side (graphviz runs as subprocesses)."""
    texts = list(texts)
    if len(texts) < 2:
        return [cropped_file(render_dir, t, box=box) for t in texts]
    with ThreadPoolExecutor(max_workers=min(len(texts), RENDER_THREADS)) as pool:
        return list(pool.map(lambda t: cropped_file(render_dir, t, box=box), texts))


def _crop_path(render_dir: Path, text: str, box: tuple[int, int] | None) -> Path:
    source = _image_path(render_dir, text)
    return source.with_name(source.stem + (f"-crop{box[0]}x{box[1]}" if box else "-crop") + ".png")


def cached_crops(render_dir: Path, texts, box: tuple[int, int] | None = None) -> list[Path] | None:
    """`cropped_files` when every display copy is drawn already (no thread, no parse), else None."""
    paths = [_crop_path(render_dir, t, box) for t in texts]
    return paths if all(p.exists() for p in paths) else None


def card_label_scale(diagram: Diagram, box: tuple[int, int] | None, margin: int = 16,
                     min_size: tuple[int, int] = (240, 144), label_px: float = MIN_LABEL_PX) -> float:
    """How many times FONT_SIZE `cropped_file` draws the labels so that, shown in `box`, they are
    `label_px` px tall (1 without a box or when they are already; at most MAX_LABEL_SCALE)."""
    extent = _drawn_extent(diagram, margin, min_size) if box else None
    if extent is None:
        return 1.0
    shown = min(1.0, box[0] / extent[0], box[1] / extent[1])
    scale = label_px / (FONT_SIZE * shown)  # > 1: labels would be under label_px: bigger
    return min(scale, MAX_LABEL_SCALE) if scale > 1.0 else 1.0


def cropped_file(render_dir: Path, text: str, margin: int = 16,
                 min_size: tuple[int, int] = (240, 144), box: tuple[int, int] | None = None,
                 label_px: float = MIN_LABEL_PX) -> Path:
    """The rendered PNG cut to the drawing's bounding box (plus `margin` px), for display only:
    the stored text keeps its canvas coordinates. Small drawings keep at least `min_size`.
    `box` = (width, height) the image is shown in at most: the labels are drawn large enough to
    be at least `label_px` px there (the crop is shrunk to fit the box). With a box, the label
    size comes from the drawing's extent (`_drawn_extent`), so one graphviz call draws the copy."""
    path = _crop_path(render_dir, text, box)
    if path.exists():
        return path
    result = parse(text)
    source = image_file(render_dir, text, result=result,
                        label_scale=card_label_scale(result.diagram, box, margin, min_size, label_px),
                        fit_frame=True)  # no label cut at the canvas edge
    if source.name.startswith("ph-"):
        return source
    with Image.open(source) as img:
        rgb = img.convert("RGB")
    crop = _drawing_box(rgb, margin, min_size)
    if crop is None:
        return source
    # compress_level=1: fast, it is a display copy
    atomic_write(path, _png_bytes(rgb.crop(crop), compress_level=1), durable=False)
    return path


def problems_markdown(problems, limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """A bullet list 'line N - error: message' (at most `limit` items)."""
    if not problems:
        return "No problems."
    items = []
    for p in list(problems)[:limit]:
        line, severity, message = (p.line, p.severity, p.message) if hasattr(p, "line") else p
        message = str(message).removeprefix(f"line {line}: ")  # the parser's text names it too
        where = f"line {line}" if line else "input"
        icon = tag("bad" if severity == "error" else "warn", severity)
        items.append(f"- {icon} **{where}**: {html.escape(str(message))}")
    if len(problems) > limit:
        items.append(f"- ... and {len(problems) - limit} more")
    return "\n".join(items)


def badge(ok: bool, problems, nodes: int | None = None) -> str:
    """One short line in plain words: "valid" or "N problems" (warnings counted apart)."""
    errors = sum(1 for p in problems if (p[1] if isinstance(p, tuple) else p.severity) == "error")
    warnings = len(problems) - errors
    if ok:
        parts = [tag("ok", "valid")]
    else:
        n = errors or 1  # no node at all is one problem even without a listed error
        parts = [tag("bad", f"{n} problem{'s' * (n != 1)}")]
    if nodes is not None:
        parts.append(f"{nodes} nodes")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return " · ".join(parts)


def drawn_ranks(diagram: Diagram) -> tuple[int, ...]:
    """Nodes per rank of a drawing's graph (rank = longest path from a source, loops' back edges
    aside): a 6-10-10-3 net gives (6, 10, 10, 3), a chain of 4 steps (1, 1, 1, 1)."""
    skip = back_edges(diagram)
    rank = path_ranks([n.id for n in diagram.by_id().values()],
                      [(s, t) for s, t in diagram.edges() if (s, t) not in skip and s != t])
    counts = [0] * (max(rank.values(), default=-1) + 1)
    for r in rank.values():
        counts[r] += 1
    return tuple(counts)


def card_badge(text: str, asks: Plan | tuple[int, ...] | None = None,
               result: ParseResult | None = None) -> str:
    """What a person checks on a card, in plain words: the structure asked and drawn, and whether
    the drawing is tidy (`diagram.metrics.tidy`) or why not.

    "asks 6-10-10-3 · draws 6-10-10-3 ✓ · tidy", "asks 2-3-1 · draws 2-4-1 ✗ · overlap 3-7",
    "draws 1-2-1 · ranks not aligned" (nothing asked). A Plan also checks the edge count.
    """
    result = result or parse(text)
    diagram = result.diagram
    if not diagram.nodes:
        return tag("bad", "nothing drawn")
    drawn = drawn_ranks(diagram)
    parts = []
    if asks is not None:
        plan = asks if isinstance(asks, Plan) else None
        sizes = plan.sizes if plan else tuple(asks)
        # a wide layer is drawn as a schematic (a few nodes and "... N"): compare with what is drawn
        expected = tuple(plan.drawn_sizes) if plan else sizes
        same = drawn == expected and (plan is None or len(diagram.edges()) == plan.n_edges())
        shown = sizes if same else drawn
        if plan is not None and plan.kind != DENSE:  # a chain of blocks or named steps: say how many
            asked, got = f"asks {plan.n_nodes} steps", f"draws {len(diagram.nodes)} steps"
        else:
            asked, got = f"asks {'-'.join(map(str, sizes))}", f"draws {'-'.join(map(str, shown))}"
        parts.append(asked)
        parts.append(tag("ok" if same else "bad", f"{got} {'✓' if same else '✗'}"))
    else:
        parts.append(f"draws {'-'.join(map(str, drawn))}")
    check = tidy(diagram)
    parts.append(tag("ok", "tidy") if check.ok else tag("warn", check.summary()))
    return " · ".join(parts)


def ending(stopped_on_eos: bool) -> str:
    """Whether the model finished the diagram or hit the token cap, in plain words."""
    return tag("ok", "complete") if stopped_on_eos else tag("warn", "cut off")


def summary_markdown(summary: dict, model: str, recent) -> str:
    """The Label tab header: pairs vs targets per category and source, model, last pairs."""
    lines = ["| category | labeled (human + edits) | auto | total |", "|---|---|---|---|"]
    for category, c in summary["categories"].items():
        by = c["by_source"]
        lines.append(f"| {category} | **{c['labeled']}** / {c['target_labeled']} "
                     f"({by.get('human', 0)} + {by.get('human_edit', 0)} edits) "
                     f"| {c['auto']} / {c['target_auto']} | {c['total']} / {c['target']} |")
    lines.append(f"\n**All pairs:** {summary['total']} / {summary['target']} · "
                 f"**Active model:** `{model}`")
    if len(recent):
        last = "; ".join(f"{r.get('category', '')} by {r.get('annotator') or '?'} "
                         f"({r.get('source', '')}, {str(r.get('created_at', ''))[11:19]})"
                         for r in recent)
        lines.append(f"\n**Last pairs:** {html.escape(last)}")
    return "\n".join(lines)


def preview(render_dir: Path, text: str) -> tuple[str | None, str]:
    """(image path or None, markdown badge + problem list) for live editing."""
    text = text or ""
    if len(text) > MAX_DIAGRAM_CHARS:
        return None, (f"{tag('warn', 'too big')} The diagram text is {len(text):,} characters; "
                      f"the limit is {MAX_DIAGRAM_CHARS:,}. Nothing was rendered.")
    if not text.strip():
        return None, "Type or paste diagram text (one node per line)."
    result = parse(text)
    path = image_file(render_dir, text, result=result)
    return str(path), (badge(result.ok, result.problems, len(result.diagram.nodes)) + "\n\n"
                       + problems_markdown(result.problems))
