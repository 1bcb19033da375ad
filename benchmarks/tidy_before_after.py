"""A before/after picture: six hand-written requests, the first candidate with free coordinates
(`--free-layout`, before) and with the layout engine (after), each captioned with the tidy check.

    python -m benchmarks.tidy_before_after [--checkpoint checkpoints/tiny-sft] [-o docs/tidy-before-after.png]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from diagram import build_prompt
from diagram.metrics import tidy
from trainer.data.diagram_cmds import contact_sheet
from trainer.core.fileio import atomic_write
from trainer.generation.generate import Generator

REQUESTS = (
    "feed-forward net: 6 inputs -> 10 -> 10 -> 3 outputs (softmax)",
    "Kafka, a Flink job, ClickHouse, Grafana",
    "MLP 4-8-2 please",
    "RAG: loader -> splitter -> embedder -> FAISS -> LLM, and the LLM retries the retriever if unsure",
    "ocr; then kafka; then a feature store",
    "train a model, evaluate it, if the score is low go back to training, else deploy",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("-o", "--out", default="docs/tidy-before-after.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    gen = Generator(args.checkpoint)
    items = []
    for free in (True, False):
        for i, request in enumerate(REQUESTS):
            cand = gen.generate(build_prompt(request), k=1, seed=args.seed + i, free_layout=free)[0]
            check = tidy(cand.parse.diagram).summary() if cand.parse.diagram.nodes else "nothing drawn"
            items.append((f"{'before (free)' if free else 'after (engine)'}: {check} | {request}", cand.text))
    sheet = contact_sheet(items, len(REQUESTS), 320, progress=False)
    buffer = io.BytesIO()
    sheet.quantize(colors=256).save(buffer, format="PNG", optimize=True)
    atomic_write(Path(args.out), buffer.getvalue(), mode=0o644)
    print(f"wrote {args.out}")
    for caption, _ in items:
        print(caption)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
