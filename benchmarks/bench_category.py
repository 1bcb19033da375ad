"""How often the one category rule (`trainer.core.schema.request_category`) misfiles a request.

Run: .venv/bin/python -m benchmarks.bench_category

Prints, for the generated requests (data/orpo_prompts.csv and data/sft_dataset_llm.csv) and for
the hand-written held-out requests (benchmarks/requests_heldout.csv), how many the rule puts in
the wrong category, and lists them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from diagram.prompt import extract_request
from trainer.core.schema import DATA_DIR, PROMPTS_FILE, SFT_FILE, request_category

HELDOUT = Path(__file__).with_name("requests_heldout.csv")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def labeled_requests() -> dict[str, list[tuple[str, str]]]:
    """{set name: [(request, expected category), ...]}."""
    pool = [(r["request"], r["category"]) for r in _rows(DATA_DIR / PROMPTS_FILE)]
    sft = [(extract_request(r["input_data"]),
            "dl_model" if json.loads(r["dest_shape_info"])["task_name"] == "dl_model" else "other")
           for r in _rows(DATA_DIR / SFT_FILE)]
    heldout = [(r["request"], r["category"]) for r in _rows(HELDOUT)]
    return {"generated (data/)": pool + sft, "hand-written (requests_heldout.csv)": heldout}


def main() -> int:
    for name, rows in labeled_requests().items():
        wrong = [(category, request) for request, category in rows if request_category(request) != category]
        print(f"{name}: {len(wrong)} of {len(rows)} misfiled")
        for category, request in wrong:
            print(f"  expected {category}: {request[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
