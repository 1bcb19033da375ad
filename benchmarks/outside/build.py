"""Build the outside-written request corpora: dev.csv and blind.csv from `raw.txt`, blind2.csv from
`raw2.txt`.

Run: python -m benchmarks.outside.build   (rewrites benchmarks/outside/{dev,blind,blind2}.csv)

`raw.txt` is the collection log: one record per `=== kind | source | field=value | ...` header,
the request text below it exactly as written at the source (trimmed at its ends only). The split is
deterministic: a row's id is a hash of its kind and text, and the row goes to the blind part when
a second hash of that id is odd, so adding rows never moves an existing row between parts.

`raw2.txt` (same format) is release 2's collection: every one of its rows is blind (`blind2.csv`,
measured once per release, never tuned on). A row of raw2.txt that repeats a row of raw.txt (same
text after lower-casing and dropping everything but letters and digits) is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw.txt"
RAW2 = HERE / "raw2.txt"
SPLIT_PARTS = ("dev", "blind")     # raw.txt's rows, split by hash
PARTS = (*SPLIT_PARTS, "blind2")   # blind2: every row of raw2.txt
KINDS = ("dense", "cnn", "pipeline", "process")
COLUMNS = ("id", "kind", "request", "source", "layers", "blocks", "steps", "decision", "loop", "edges")
_HEADER = re.compile(r"^=== (?P<kind>\w+) \| (?P<source>[^|]+?)(?: \| (?P<rest>.*))?$")


@dataclass(frozen=True)
class Row:
    id: str
    kind: str
    request: str
    source: str
    layers: str = ""      # dense: sizes input first, '-'-separated; '*' = a size the text does not fix
    blocks: str = ""      # cnn: blocks in order, ' > '-separated (see README)
    steps: str = ""       # flows: named steps, '; '-separated
    decision: str = ""    # flows: '1' the text has a decision, '0' it has none
    loop: str = ""        # flows: '1' the text has a loop back, '0' it has none
    edges: str = ""       # flows: 'A>B; B>C' where the text fixes them ('chain' = the steps in order)


def row_id(kind: str, text: str) -> str:
    digest = hashlib.sha1(f"{kind}\n{text}".encode()).hexdigest()
    return f"{kind[0]}-{digest[:10]}"


def part_of(row_id_: str) -> str:
    """'dev' or 'blind', from a hash of the id alone (stable as rows are added)."""
    return SPLIT_PARTS[int(hashlib.sha256(f"split:{row_id_}".encode()).hexdigest(), 16) % 2]


def parse_raw(text: str) -> list[Row]:
    rows: list[Row] = []
    header: re.Match[str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is None:
            return
        request = "\n".join(body).strip()
        kind = header["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} in {header.group(0)!r}")
        if not request:
            raise ValueError(f"empty request under {header.group(0)!r}")
        extra: dict[str, str] = {}
        for item in (header["rest"] or "").split(" | "):
            if item.strip():
                key, _, value = item.partition("=")
                extra[key.strip()] = value.strip()
        unknown = set(extra) - {f.name for f in fields(Row)}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)} in {header.group(0)!r}")
        if extra.get("edges") == "chain":
            steps = [s.strip() for s in extra.get("steps", "").split(";") if s.strip()]
            extra["edges"] = "; ".join(f"{a}>{b}" for a, b in zip(steps, steps[1:]))
        rows.append(Row(id=row_id(kind, request), kind=kind, request=request,
                        source=header["source"].strip(), **extra))

    for line in text.splitlines():
        if line.startswith("#") and header is None:
            continue
        match = _HEADER.match(line)
        if match:
            flush()
            header, body = match, []
        elif line.startswith("=== "):
            raise ValueError(f"bad header: {line!r}")
        else:
            body.append(line)
    flush()
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            raise ValueError(f"duplicate request {row.id}: {row.request[:60]!r}")
        seen.add(row.id)
    return rows


def to_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: getattr(row, c) for c in COLUMNS})
    return buffer.getvalue()


def split(rows: list[Row]) -> dict[str, list[Row]]:
    return {part: [r for r in rows if part_of(r.id) == part] for part in SPLIT_PARTS}


def normalised(text: str) -> str:
    """Lower case, letters and digits only (any script), single spaces: what 'the same request' means."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def build_parts(raw: str, raw2: str) -> dict[str, list[Row]]:
    """Every part's rows: dev/blind split from raw.txt's text, blind2 = all of raw2.txt's text."""
    rows, rows2 = parse_raw(raw), parse_raw(raw2)
    old = {normalised(r.request): r.id for r in rows}
    for row in rows2:
        if normalised(row.request) in old:
            raise ValueError(f"raw2 row {row.id} repeats raw.txt row {old[normalised(row.request)]}: "
                             f"{row.request[:60]!r}")
    return {**split(rows), "blind2": rows2}


def load(part: str, directory: Path = HERE) -> list[dict[str, str]]:
    """The rows of one part's CSV as dicts (columns: COLUMNS)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}")
    with open(directory / f"{part}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parts = build_parts(RAW.read_text(encoding="utf-8"), RAW2.read_text(encoding="utf-8"))
    for part, part_rows in parts.items():
        target = HERE / f"{part}.csv"
        tmp = target.with_suffix(".csv.tmp")
        tmp.write_text(to_csv(part_rows), encoding="utf-8")
        tmp.replace(target)
        counts = {k: sum(r.kind == k for r in part_rows) for k in KINDS}
        print(f"{part}: {len(part_rows)} rows {counts}")


if __name__ == "__main__":
    main()
