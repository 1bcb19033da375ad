"""Load the project's CSV data files with validation that names the bad row and file line.

    >>> from trainer.core.datasets_io import load_sft_csv, load_prompt_pool
    >>> df = load_sft_csv("data/sft_dataset_llm.csv")            # input_data, output_data, ...
    >>> heldout = load_prompt_pool("data/orpo_prompts.csv", split="heldout")

Files written by the original project start with an unnamed pandas index column (header "" or
"Unnamed: 0"); it is dropped. Fields are read as strings and empty cells stay "" (never NaN).
The csv module does the reading because answers span several lines, so only it can say on which
file line a broken row starts; the validated records then become a pandas DataFrame.
"""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import pandas as pd

from diagram.prompt import build_prompt, extract_request
from trainer.core.schema import CATEGORIES, POOL_COLUMNS, SFT_COLUMNS, SPLITS, request_category

SFT_REQUIRED = SFT_COLUMNS
SFT_NONEMPTY = ("input_data", "output_data")
POOL_REQUIRED = POOL_COLUMNS
POOL_NONEMPTY = ("prompt_id", "category", "split", "request", "prompt", "reference")
_INDEX_HEADERS = ("", "Unnamed: 0")


class DataFileError(ValueError):
    """A data file is missing, malformed, or lacks a column; `row`/`line` are 1-based (0 = n/a)."""

    def __init__(self, path: str | Path, message: str, row: int = 0, line: int = 0) -> None:
        self.path, self.row, self.line = str(path), row, line
        where = f"row {row} (file line {line}): " if row else (f"line {line}: " if line else "")
        super().__init__(f"{path}: {where}{message}")


def _read_records(path: Path) -> tuple[list[str], list[tuple[int, int, list[str]]]]:
    """Header and (data row, first file line, fields) per non-blank record."""
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataFileError(path, f"cannot open: {exc.strerror or exc}") from exc
    records: list[tuple[int, int, list[str]]] = []
    with fh:
        reader = csv.reader(fh, strict=True)
        header: list[str] | None = None
        start = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                row = len(records) + 1 if header is not None else 0
                raise DataFileError(path, f"broken CSV quoting: {exc}", row, start) from exc
            if header is None:
                header = fields
            elif fields:  # csv yields [] for blank lines
                records.append((len(records) + 1, start, fields))
            start = reader.line_num + 1
    if header is None:
        raise DataFileError(path, "the file is empty (no header line)")
    return header, records


def load_csv(path: str | Path, required: tuple[str, ...], nonempty: tuple[str, ...] = (),
             allowed: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Read a CSV of strings, drop a leading unnamed index column, check columns and fields.

    `nonempty` columns must hold more than whitespace; `allowed` maps a column to its values.
    """
    path = Path(path)
    header, records = _read_records(path)
    skip = 1 if header and header[0].strip() in _INDEX_HEADERS else 0
    columns = [h.strip() for h in header[skip:]]
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataFileError(path, f"missing column(s) {', '.join(missing)}; found "
                                  f"{', '.join(columns) or 'none'}", line=1)
    check = [(name, columns.index(name)) for name in nonempty]
    choices = [(name, columns.index(name), ok) for name, ok in (allowed or {}).items()]
    rows = []
    for row, line, fields in records:
        if len(fields) != len(header):
            raise DataFileError(path, f"expected {len(header)} fields, found {len(fields)}",
                                row, line)
        values = fields[skip:]
        for name, i in check:
            if not values[i].strip():
                raise DataFileError(path, f"empty {name}", row, line)
        for name, i, ok in choices:
            if values[i] not in ok:
                raise DataFileError(path, f"{name} must be one of {', '.join(ok)}, got "
                                          f"{values[i]!r}", row, line)
        rows.append(values)
    return pd.DataFrame(rows, columns=columns, dtype=str)


def load_sft_csv(path: str | Path) -> pd.DataFrame:
    """data/sft_dataset_llm.csv: columns input_data, output_data, dest_shape_info (+ any)."""
    return load_csv(path, SFT_REQUIRED, SFT_NONEMPTY)


def task_category(dest_shape_info: str) -> str | None:
    """"dl_model"/"other" from a dest_shape_info cell (JSON or the original's Python literal), else None."""
    text = (dest_shape_info or "").strip()
    for reader in (json.loads, ast.literal_eval):
        try:
            info = reader(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(info, dict) and info.get("task_name"):
            return "dl_model" if info["task_name"] == "dl_model" else "other"
    return None


def load_reference_csv(path: str | Path) -> pd.DataFrame:
    """Prompts with reference answers from a CSV in the original project's format.

    Columns `input_data, output_data` (SFT files) or `prompt, chosen` (preference files); a leading
    unnamed index column is dropped. Prompts in either wording of the template, or bare requests,
    come back as `prompt` in the canonical wording (`diagram.canonical_prompt`) plus `request`.
    `category` comes from a `category` column, else dest_shape_info's task_name, else a guess
    from the request's words (`trainer.core.schema.request_category`).
    """
    frame = load_csv(path, ())
    for prompt_col, answer_col in (("input_data", "output_data"), ("prompt", "chosen")):
        if prompt_col in frame.columns and answer_col in frame.columns:
            break
    else:
        raise DataFileError(path, "needs columns input_data and output_data, or prompt and chosen; "
                                  f"found {', '.join(frame.columns) or 'none'}", line=1)
    rows = []
    for i, record in enumerate(frame.to_dict("records"), start=1):
        request = extract_request(record[prompt_col])
        if not request or not record[answer_col].strip():
            raise DataFileError(path, f"empty {prompt_col if not request else answer_col}", row=i)
        category = record.get("category") if record.get("category") in CATEGORIES else None
        category = category or task_category(record.get("dest_shape_info", "")) or request_category(request)
        rows.append({"prompt": build_prompt(request), "request": request,
                     "reference": record[answer_col], "category": category})
    return pd.DataFrame(rows, columns=["prompt", "request", "reference", "category"])


def load_prompt_pool(path: str | Path, split: str | None = None) -> pd.DataFrame:
    """data/orpo_prompts.csv, optionally only the 'label' or 'heldout' rows (index reset)."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
    df = load_csv(path, POOL_REQUIRED, POOL_NONEMPTY,
                  allowed={"split": SPLITS, "category": CATEGORIES})
    if split is not None:
        df = df[df["split"] == split].reset_index(drop=True)
    return df
