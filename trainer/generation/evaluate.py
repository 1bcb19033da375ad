"""Evaluate a checkpoint: sample k candidates per held-out prompt and score format, stopping, structure, speed.

    diagramlab eval --checkpoint checkpoints/tiny-sft --split heldout -k 4 --json report.json
    diagramlab eval --checkpoint DIR --prompts-file requests.txt -n 20   # one request per line
    diagramlab eval --csv sft_dataset_llm.csv -n 50   # any CSV in the original project's format
    diagramlab eval ... --no-grammar                  # free sampling, for comparison

`--csv` scores a file with `input_data`/`output_data` or `prompt`/`chosen` columns (the original
project's SFT and ORPO files; either template wording; an unnamed index column is fine) against
its own reference answers (`trainer.core.datasets_io.load_reference_csv`).

Report fields (also returned by `evaluate(generator, rows, k)`, which ORPO stores in its manifest):
validity (share of candidates that parse with no error and ≥1 node), eos_stop_rate, seed_score
(mean original-project score against the reference; null without references), readability (mean
readability score of valid candidates), tidy_rate (share of valid candidates that pass
`diagram.metrics.tidy`), distinct_styles (mean number of distinct styles among a prompt's k
candidates: style lines, else drawn direction/fills/shapes/lines), tokens_per_second, seconds_per_prompt_p50/_p95 (all k
candidates of one prompt), n_prompts, n_candidates, peak_rss_mb, styles (one style vector per
candidate, None when invalid: what the taste verdict, trainer.core.taste, compares).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from diagram import build_prompt, extract_request, flow_direction, original_score, parse, readability
from diagram.metrics import tidy
from diagram.style import find_style
from trainer.core.datasets_io import load_prompt_pool, load_reference_csv
from trainer.core.selection import style_features
from trainer.core.schema import DEFAULT_CHECKPOINT, DEFAULT_PROMPTS
from trainer.generation.sources import add_source_arguments, source_from_args, source_name

DEFAULT_POOL = DEFAULT_PROMPTS


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 100]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def style_key(text: str) -> tuple:
    """What tells two candidates' styles apart: the style line when there is one (laid-out
    answers), else the drawing's flow direction, palette, shapes and line shapes (free layout)."""
    style = find_style(text)
    if style is not None:
        return ("line", style)
    nodes = parse(text).diagram.nodes
    return ("drawn", flow_direction(parse(text).diagram), tuple(sorted({n.fill for n in nodes})),
            tuple(sorted({n.shape for n in nodes})), tuple(sorted({n.line_shape for n in nodes})))


def is_dl_model(row: dict[str, Any]) -> bool:
    """The original score's dl_model flag: from `category`, else dest_shape_info's task_name."""
    if row.get("category"):
        return row["category"] == "dl_model"
    info = row.get("dest_shape_info") or ""
    try:
        return json.loads(info).get("task_name") == "dl_model"
    except (ValueError, AttributeError):
        return "dl_model" in str(info)


def evaluate(generator: Any, rows: Iterable[dict[str, Any]], k: int = 4, seed: int | None = 0,
             progress: bool = True, **sampling: Any) -> dict[str, Any]:
    """Metrics over `rows` (dicts with `prompt`, optional `reference`, `category`); see module doc.

    Prompt i is sampled with seed `seed + i` so reports are reproducible.
    """
    rows = list(rows)
    scores, read_scores, per_prompt, styles, styles_per_prompt = [], [], [], [], []
    n_valid = n_eos = n_tokens = n_cands = n_tidy = 0
    generating_seconds = 0.0
    for i, row in enumerate(tqdm(rows, desc="eval", unit="prompt", disable=not progress)):
        cands = generator.generate(row["prompt"], k=k, seed=None if seed is None else seed + i, **sampling)
        per_prompt.append(cands[0].seconds)
        generating_seconds += cands[0].seconds
        reference = parse(row["reference"]).diagram if row.get("reference") else None
        styles_per_prompt.append(len({style_key(c.text) for c in cands}))
        for cand in cands:
            n_cands += 1
            n_tokens += cand.n_tokens
            n_eos += cand.stopped_on_eos
            styles.append(round_style(cand.parse))
            if not cand.parse.ok:
                if reference is not None:
                    scores.append(0.0)  # an unusable answer scores nothing against the reference
                continue
            n_valid += 1
            n_tidy += tidy(cand.parse.diagram).ok
            read_scores.append(readability(cand.parse.diagram).score)
            if reference is not None:
                scores.append(original_score(cand.parse.diagram, reference, dl_model=is_dl_model(row)))
    return {
        "n_prompts": len(rows),
        "k": k,
        "n_candidates": n_cands,
        "validity": n_valid / n_cands if n_cands else None,
        "eos_stop_rate": n_eos / n_cands if n_cands else None,
        "seed_score": _mean(scores),
        "readability": _mean(read_scores),
        "tidy_rate": n_tidy / n_valid if n_valid else None,  # of valid candidates
        "distinct_styles": _mean(styles_per_prompt),  # among a prompt's k candidates
        "tokens_per_second": n_tokens / generating_seconds if generating_seconds else None,
        "seconds_per_prompt_p50": percentile(per_prompt, 50),
        "seconds_per_prompt_p95": percentile(per_prompt, 95),
        "mean_tokens_per_candidate": n_tokens / n_cands if n_cands else None,
        "peak_rss_mb": peak_rss_mb(),
        "styles": styles,
    }


def round_style(result: Any) -> list[float] | None:
    """A candidate's style vector (trainer.core.selection.style_features, 3 decimals) for the taste
    verdict (trainer.core.taste); None when it is not a valid drawing."""
    if not result.ok or not result.diagram.nodes:
        return None
    return [round(v, 3) for v in style_features(result.diagram)]


def load_rows(split: str | None, prompts_file: str | None, pool: str, n: int | None,
              csv_file: str | None = None) -> list[dict[str, Any]]:
    """Rows from the prompt pool split, free-form requests (one per line, no reference), or a
    reference CSV in the original format."""
    if csv_file:
        rows = load_reference_csv(csv_file)[["prompt", "reference", "category"]].to_dict("records")
    elif prompts_file:
        lines = Path(prompts_file).read_text(encoding="utf-8").splitlines()
        rows = [{"prompt": build_prompt(extract_request(line)), "reference": None, "category": None}
                for line in lines if line.strip()]
    else:
        frame = load_prompt_pool(pool, split=split)
        rows = frame[["prompt", "reference", "category"]].to_dict("records")
    return rows[:n] if n else rows


def markdown(report: dict[str, Any], title: str) -> str:
    """A two-column markdown table of the report."""
    lines = [f"### {title}", "", "| metric | value |", "|---|---|"]
    for key, value in report.items():
        if isinstance(value, list):  # per-candidate data (styles): in the JSON, not the table
            continue
        shown = "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    return "\n".join(lines)


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="checkpoint dir or HF id")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--split", default="heldout", help="prompt pool split (default heldout)")
    source.add_argument("--prompts-file", help="text file, one free-form request per line (no scores)")
    source.add_argument("--csv", dest="csv_file", help="CSV with input_data/output_data or prompt/chosen "
                        "(the original project's format): scored against its answers")
    parser.add_argument("--pool", default=DEFAULT_POOL, help=f"prompt pool CSV (default {DEFAULT_POOL})")
    parser.add_argument("-n", type=int, default=None, help="evaluate only the first N prompts")
    parser.add_argument("-k", type=int, default=4, help="candidates per prompt (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="base sampling seed (default 0)")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default 0.8)")
    parser.add_argument("--top-p", type=float, default=0.95, help="nucleus mass (default 0.95)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--json", dest="json_path", help="write the report as JSON here")
    add_source_arguments(parser)


def run_eval(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    csv_file = getattr(args, "csv_file", None)  # callers may build the Namespace by hand
    from_pool = not (args.prompts_file or csv_file)
    rows = load_rows(args.split if from_pool else None, args.prompts_file, args.pool, args.n, csv_file)
    if not rows:
        print("no prompts to evaluate", file=sys.stderr)
        return 1
    started = time.perf_counter()
    generator = source_from_args(args)
    load_seconds = time.perf_counter() - started
    report = evaluate(generator, rows, k=args.k, seed=args.seed, temperature=args.temperature, top_p=args.top_p)
    report = {"checkpoint": source_name(generator, args.checkpoint), "split": args.split if from_pool else None,
              "source": csv_file or args.prompts_file or args.pool, "grammar": getattr(generator, "grammar", None),
              "read": getattr(generator, "read", None),
              "reader": getattr(getattr(generator, "reader", None), "name", None) or "rules",
              "load_seconds": round(load_seconds, 2), "threads": getattr(generator, "threads", None) or torch.get_num_threads(),
              **report}
    print(markdown(report, f"eval of {args.checkpoint}"))
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0
